/**
 * JetStream publishing for the shard: ticks of one symbol are batched into one
 * TickBatch message (up to `maxBatch`, waiting at most `lingerMs`), every message gets
 * a msgID so a replayed frame is stored once, and publishes are asynchronous with a
 * bounded number awaiting their ack (a queue absorbs bursts). A failed publish is
 * retried with the same msgID (safe: JetStream drops the duplicate) with backoff up to
 * 10 s, for as long as it takes: a NATS outage or a JetStream leader election holds
 * messages, it does not lose them. Any ack ends every retry wait at once (the path is
 * back: waiting out a 10 s backoff would only delay the backlog and, with it, the rooms),
 * and a message waiting for its retry does not count against `maxInFlight` (acks
 * awaited), so new ticks keep going out, and reaching core subscribers, meanwhile. What is held (queued + awaiting ack) is bounded by a
 * byte budget (PUBLISH_HOLD_BYTES, 64 MiB); only a message that would overflow it is
 * dropped, counted per symbol, and reported as one `md.gap` event per symbol
 * (reason "hold_overflow", with counts) once publishing works again.
 * With {@link AsyncJetStream} underneath (what shards use) no publish costs a request.
 */
import type { PubAck } from "@nats-io/jetstream";
import { getLogger } from "@logtape/logtape";
import { ExponentialBackoff, type IBackoff } from "cockatiel";
import { encode } from "../../lib/contracts/codec.ts";
import type { GapEvent, Tick } from "../../lib/contracts/messages.ts";
import { encodeTickBatch, type TickDecimals } from "./tick-json.ts";
import { msgIds } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { Metrics } from "../../lib/platform/metrics.ts";
import type { Clock, TimerHandle } from "../runtime/mod.ts";

export interface PublisherOptions {
  lingerMs: number;
  maxBatch: number;
  maxInFlight: number;
  clock: Clock;
  metrics?: Metrics;
  labels?: Record<string, string>;
  /** Called after a tick batch is acknowledged (bench: latency from exchange time to ack). */
  onAck?: ((ticks: readonly Tick[], ackTs: number, ack: PubAck) => void) | undefined;
  /** Attempts per message before it is given up and counted as failed. Default: no limit (held until NATS is back). */
  attempts?: number;
  /** Upper bound of the retry backoff, ms. Default 10000: longer than a JetStream leader election. */
  retryMaxDelayMs?: number;
  /** Bytes that may be held (queued + awaiting ack) before new messages are dropped. Default 64 MiB. */
  holdBytes?: number;
  /**
   * Tests only (INGEST_FAULT): `afterMs` after the first tick, one tick message is
   * dropped unsent, or published twice under two msgIDs (stored twice). Once.
   */
  fault?: { kind: "drop" | "duplicate"; afterMs: number };
}

/** Parse INGEST_FAULT (`drop:<ms>`, `duplicate:<ms>`). */
export function parseFault(s: string | undefined): PublisherOptions["fault"] {
  const m = s ? /^(drop|duplicate):(\d+)$/.exec(s) : null;
  return m ? { kind: m[1] as "drop" | "duplicate", afterMs: Number(m[2]) } : undefined;
}

/** What budget overflow dropped for one symbol, until it is reported. */
interface Dropped {
  venue: string;
  symbol: string;
  firstSeq: number;
  lastSeq: number;
  ticks: number;
  bytes: number;
}

export const DEFAULT_HOLD_BYTES = 64 * 1024 * 1024;

interface Pending {
  ticks: Tick[];
  decs: Array<TickDecimals | undefined>;
}

interface Outgoing {
  subject: string;
  data: Uint8Array;
  msgID: string;
  ticks?: Tick[];
  done?: () => void;
}

/** What the publisher needs from JetStream: `js.publish()` or the faster {@link AsyncJetStream}. */
export interface JsPublish {
  publish(subject: string, data: Uint8Array, opts: { msgID: string }): Promise<PubAck>;
}

export class Publisher {
  /** Ticks waiting for their linger, per venue and symbol, with their decimals as received (tick-json.ts). */
  private readonly buffers = new Map<string, Map<string, Pending>>();
  private readonly queue: Outgoing[] = [];
  private qHead = 0;
  private inFlight = 0;
  private timer: TimerHandle | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly log = getLogger(["tickflow", "ingest", "publisher"]);
  private readonly backoff: ExponentialBackoff<unknown>;
  /** Messages waiting for their retry (part of inFlight, not of the ack window). */
  private sleeping = 0;
  private readonly wakers = new Set<() => void>();
  private readonly m;
  /** Clock time of the newest acknowledged publish (freshness of the shard's output). */
  lastAckAt: number | undefined;
  private readonly abort = new AbortController();
  private heldBytes = 0;
  private readonly dropped = new Map<string, Dropped>();
  private readonly holdBytes: number;
  /** Clock time of the first tick (for `fault`), then whether the fault was injected. */
  private faultFrom: number | undefined;
  private faultDone = false;

  constructor(private readonly js: JsPublish, private readonly o: PublisherOptions) {
    this.backoff = new ExponentialBackoff({ initialDelay: 100, maxDelay: o.retryMaxDelayMs ?? 10_000 });
    this.holdBytes = o.holdBytes ?? DEFAULT_HOLD_BYTES;
    const metrics = o.metrics;
    this.m = metrics && {
      msgs: metrics.counter("ingest_published_msgs_total", "JetStream messages acknowledged"),
      ticks: metrics.counter("ingest_published_ticks_total", "ticks acknowledged by JetStream"),
      dups: metrics.counter("ingest_duplicate_msgs_total", "messages JetStream reported as duplicates"),
      failed: metrics.counter("ingest_publish_failures_total", "messages given up after retries"),
      retries: metrics.counter("ingest_publish_retries_total", "publish attempts that failed and were retried"),
      overflowTicks: metrics.counter("ingest_hold_dropped_ticks_total", "ticks dropped because the hold budget was full (NATS unreachable too long)"),
      overflowMsgs: metrics.counter("ingest_hold_dropped_msgs_total", "messages dropped because the hold budget was full"),
      gapEvents: metrics.counter("ingest_hold_gap_events_total", "md.gap events published for what the hold budget dropped"),
      latency: metrics.histogram("ingest_latency_ms", "exchange timestamp to JetStream ack, ms"),
    };
    metrics?.gauge("ingest_publish_queue", "messages waiting to be published").set(() => this.queued(), o.labels);
    metrics?.gauge("ingest_publish_in_flight", "publishes awaiting their ack").set(() => this.inFlight, o.labels);
    metrics?.gauge("ingest_publish_held_bytes", "bytes held for JetStream (queued + awaiting ack)").set(() => this.heldBytes, o.labels);
  }

  /** Replace the ack hook (the benchmark measures latency through it). */
  setOnAck(fn: PublisherOptions["onAck"]): void {
    this.o.onAck = fn;
  }

  /** Messages waiting to be sent (not yet in flight). */
  queued(): number {
    return this.queue.length - this.qHead;
  }

  /**
   * Add a tick; it is sent with other ticks of its symbol within `lingerMs`. `dec`: the
   * decimal strings its numbers were read from, written into the message as they are.
   */
  tick(t: Tick, dec?: TickDecimals): void {
    let bySymbol = this.buffers.get(t.venue);
    if (!bySymbol) this.buffers.set(t.venue, (bySymbol = new Map()));
    let buf = bySymbol.get(t.symbol);
    if (!buf) bySymbol.set(t.symbol, (buf = { ticks: [], decs: [] }));
    buf.ticks.push(t);
    buf.decs.push(dec);
    if (buf.ticks.length >= this.o.maxBatch) {
      bySymbol.delete(t.symbol);
      this.enqueueTicks(buf);
      this.pump();
    } else if (this.timer === undefined) {
      this.timer = this.o.clock.setTimeout(() => {
        this.timer = undefined;
        this.drainBuffers();
      }, this.o.lingerMs);
    }
  }

  /** Publish any message (book, gap, feed status) through the same bounded pipeline. */
  publish(subject: string, data: Uint8Array, msgID: string): Promise<void> {
    if (!this.admit(data.length)) {
      this.m?.overflowMsgs.inc(this.o.labels);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push({ subject, data, msgID, done: resolve });
      this.pump();
    });
  }

  /** Bytes held now (queued + awaiting ack). */
  held(): number {
    return this.heldBytes;
  }

  /** Stop retrying (process exit): what is still held is given up. */
  close(): void {
    this.abort.abort();
    this.wakeAll();
  }

  /** End every retry wait now (an ack came, or close). */
  private wakeAll(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Wait `ms` on the clock, or until {@link wakeAll}; true if woken. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        this.o.clock.clearTimeout(timer);
        this.wakers.delete(wake);
        resolve(woken);
      };
      const wake = () => done(true);
      const timer = this.o.clock.setTimeout(() => done(false), ms);
      this.wakers.add(wake);
    });
  }

  /** Take `bytes` from the hold budget, or refuse when it would overflow. */
  private admit(bytes: number): boolean {
    if (this.heldBytes + bytes > this.holdBytes) return false;
    this.heldBytes += bytes;
    return true;
  }

  private drop(ticks: Tick[], bytes: number): void {
    const first = ticks[0]!;
    const key = `${first.venue}\u0000${first.symbol}`;
    let d = this.dropped.get(key);
    if (!d) this.dropped.set(key, (d = { venue: first.venue, symbol: first.symbol, firstSeq: first.seq, lastSeq: first.seq, ticks: 0, bytes: 0 }));
    for (const t of ticks) {
      if (t.seq < d.firstSeq) d.firstSeq = t.seq;
      if (t.seq > d.lastSeq) d.lastSeq = t.seq;
    }
    d.ticks += ticks.length;
    d.bytes += bytes;
    if (this.m) {
      this.m.overflowTicks.inc(this.o.labels, ticks.length);
      this.m.overflowMsgs.inc(this.o.labels);
    }
    if (this.dropped.size === 1 && d.ticks === ticks.length) {
      this.log.warn("hold budget of {budget} bytes full: dropping new ticks until JetStream acks again (reported as md.gap)", { budget: this.holdBytes });
    }
  }

  /** After acks resumed and the backlog drained: report what overflow dropped, one md.gap per symbol (outside the budget: small and few). */
  private reportDropped(): void {
    if (this.dropped.size === 0) return;
    const now = this.o.clock.now();
    const all = [...this.dropped.values()];
    this.dropped.clear();
    let ticks = 0;
    for (const d of all) {
      ticks += d.ticks;
      const ev: GapEvent = {
        v: 1, venue: d.venue, symbol: d.symbol, expected: d.firstSeq, got: d.lastSeq + 1, ts: now,
        reason: "hold_overflow", droppedTicks: d.ticks, droppedBytes: d.bytes,
      };
      const data = encode(ev);
      this.heldBytes += data.length;
      this.queue.push({ subject: subjects.gap(d.venue, d.symbol), data, msgID: `g:${d.venue}:${d.symbol}:hold:${d.firstSeq}-${d.lastSeq}:${now}` });
      this.m?.gapEvents.inc(this.o.labels);
    }
    this.log.warn("JetStream acks again: {ticks} ticks of {symbols} symbols were dropped by the hold budget; published md.gap for each", { ticks, symbols: all.length });
    this.pump();
  }

  /** Send everything buffered and wait until every publish has been acked or given up. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.o.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.drainBuffers();
    if (this.inFlight === 0 && this.queued() === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private drainBuffers(): void {
    for (const bySymbol of this.buffers.values()) {
      for (const buf of bySymbol.values()) this.enqueueTicks(buf);
      bySymbol.clear();
    }
    this.pump();
  }

  private enqueueTicks({ ticks, decs }: Pending): void {
    const first = ticks[0]!;
    const data = encodeTickBatch(ticks, decs);
    const fault = this.o.fault && this.injectFault(ticks);
    if (fault === "drop") return;
    if (!this.admit(data.length)) return this.drop(ticks, data.length);
    const msg = {
      subject: this.tickSubject(first.venue, first.symbol),
      data,
      msgID: msgIds.ticks(first.venue, first.symbol, first.seq, ticks[ticks.length - 1]!.seq, first.exchTs),
      ticks,
    };
    this.queue.push(msg);
    if (fault === "duplicate" && this.admit(data.length)) this.queue.push({ ...msg, msgID: `${msg.msgID}:fault` });
  }

  /** The configured fault, when it is due for this message (once). */
  private injectFault(ticks: Tick[]): "drop" | "duplicate" | undefined {
    const f = this.o.fault!;
    const now = this.o.clock.now();
    this.faultFrom ??= now;
    if (this.faultDone || now - this.faultFrom < f.afterMs) return undefined;
    this.faultDone = true;
    this.log.warn("INGEST_FAULT: {kind} of {symbol} ticks {from}..{to}", { kind: f.kind, symbol: ticks[0]!.symbol, from: ticks[0]!.seq, to: ticks.at(-1)!.seq });
    return f.kind;
  }

  /** Tick subjects, built (validated, partition hashed) once per symbol. */
  private readonly subjectCache = new Map<string, string>();
  private tickSubject(venue: string, symbol: string): string {
    const k = `${venue}\u0000${symbol}`;
    let subj = this.subjectCache.get(k);
    if (subj === undefined) this.subjectCache.set(k, (subj = subjects.tick(venue, symbol)));
    return subj;
  }

  private pump(): void {
    while (this.inFlight - this.sleeping < this.o.maxInFlight && this.qHead < this.queue.length) {
      const msg = this.queue[this.qHead++]!;
      this.inFlight++;
      void this.send(msg);
    }
    if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
      this.queue.splice(0, this.qHead);
      this.qHead = 0;
    }
    if (this.inFlight === 0 && this.qHead >= this.queue.length && this.idleWaiters.length) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  /**
   * Publish until acked (or `attempts` tries), with exponential backoff between tries
   * (cockatiel's ExponentialBackoff: 100 ms doubling up to retryMaxDelayMs, jittered).
   * Not a cockatiel retry policy: its delays cannot be cut short, and an ack elsewhere
   * must end them (wakeAll).
   */
  private async publishOnce(msg: Outgoing): Promise<PubAck> {
    let backoff: IBackoff<unknown> | undefined;
    for (let attempt = 1;; attempt++) {
      try {
        return await this.js.publish(msg.subject, msg.data, { msgID: msg.msgID });
      } catch (err) {
        if (this.abort.signal.aborted || (this.o.attempts !== undefined && attempt >= this.o.attempts)) throw err;
        this.m?.retries.inc(this.o.labels);
        backoff = backoff ? backoff.next(undefined) : this.backoff.next();
        this.sleeping++;
        this.pump(); // the ack window has room again while this one waits
        // Woken by an ack: the path is back, so a failure now starts the backoff afresh (100 ms).
        if (await this.sleep(backoff.duration)) backoff = undefined;
        this.sleeping--;
        if (this.abort.signal.aborted) throw err;
      }
    }
  }

  private async send(msg: Outgoing): Promise<void> {
    try {
      const ack = await this.publishOnce(msg);
      const now = this.o.clock.now();
      this.lastAckAt = now;
      if (this.sleeping > 0) this.wakeAll(); // JetStream answers again: retry the backlog now
      // Report once the backlog has drained to half the budget: the overflow episode is over by then.
      if (this.dropped.size && this.heldBytes - msg.data.length < this.holdBytes / 2) this.reportDropped();
      if (this.m) {
        this.m.msgs.inc(this.o.labels);
        if (ack.duplicate) this.m.dups.inc(this.o.labels);
        if (msg.ticks) {
          this.m.ticks.inc(this.o.labels, msg.ticks.length);
          for (const t of msg.ticks) this.m.latency.observe(now - t.exchTs);
        }
      }
      if (msg.ticks) this.o.onAck?.(msg.ticks, now, ack);
    } catch (err) {
      this.m?.failed.inc(this.o.labels);
      this.log.warn("gave up publishing {subject} ({id}): {err}", { subject: msg.subject, id: msg.msgID, err: String(err) });
    } finally {
      this.inFlight--;
      this.heldBytes -= msg.data.length;
      msg.done?.();
      this.pump();
    }
  }
}
