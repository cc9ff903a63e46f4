/**
 * JetStream publishing for the shard: ticks of one symbol are batched into one
 * TickBatch message (up to `maxBatch`, waiting at most `lingerMs`), every message gets
 * a msgID so a replayed frame is stored once, and publishes are asynchronous with a
 * bounded number awaiting their ack (a queue absorbs bursts). A failed publish is
 * retried with the same msgID (safe: JetStream drops the duplicate), then counted.
 * With {@link AsyncJetStream} underneath (what shards use) no publish costs a request.
 */
import type { PubAck } from "@nats-io/jetstream";
import { getLogger } from "@logtape/logtape";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { encode, msgIds, subjects, type Tick, type TickBatch } from "../bus/mod.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock, TimerHandle } from "../runtime/types.ts";

export interface PublisherOptions {
  lingerMs: number;
  maxBatch: number;
  maxInFlight: number;
  clock: Clock;
  metrics?: Metrics;
  labels?: Record<string, string>;
  /** Called after a tick batch is acknowledged (bench: latency from exchange time to ack). */
  onAck?: ((ticks: readonly Tick[], ackTs: number, ack: PubAck) => void) | undefined;
  /** Attempts per message before it is counted as failed. Default 3. */
  attempts?: number;
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
  private readonly buffers = new Map<string, Tick[]>();
  private readonly queue: Outgoing[] = [];
  private qHead = 0;
  private inFlight = 0;
  private timer: TimerHandle | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly log = getLogger(["tickflow", "ingest", "publisher"]);
  private readonly policy;
  private readonly m;

  constructor(private readonly js: JsPublish, private readonly o: PublisherOptions) {
    this.policy = retry(handleAll, {
      maxAttempts: Math.max(0, (o.attempts ?? 3) - 1),
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }),
    });
    const metrics = o.metrics;
    this.m = metrics && {
      msgs: metrics.counter("ingest_published_msgs_total", "JetStream messages acknowledged"),
      ticks: metrics.counter("ingest_published_ticks_total", "ticks acknowledged by JetStream"),
      dups: metrics.counter("ingest_duplicate_msgs_total", "messages JetStream reported as duplicates"),
      failed: metrics.counter("ingest_publish_failures_total", "messages given up after retries"),
      latency: metrics.histogram("ingest_latency_ms", "exchange timestamp to JetStream ack, ms"),
    };
    metrics?.gauge("ingest_publish_queue", "messages waiting to be published").set(() => this.queued(), o.labels);
    metrics?.gauge("ingest_publish_in_flight", "publishes awaiting their ack").set(() => this.inFlight, o.labels);
  }

  /** Replace the ack hook (the benchmark measures latency through it). */
  setOnAck(fn: PublisherOptions["onAck"]): void {
    this.o.onAck = fn;
  }

  /** Messages waiting to be sent (not yet in flight). */
  queued(): number {
    return this.queue.length - this.qHead;
  }

  /** Add a tick; it is sent with other ticks of its symbol within `lingerMs`. */
  tick(t: Tick): void {
    const key = `${t.venue}\u0000${t.symbol}`;
    let buf = this.buffers.get(key);
    if (!buf) this.buffers.set(key, (buf = []));
    buf.push(t);
    if (buf.length >= this.o.maxBatch) {
      this.buffers.delete(key);
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
    return new Promise((resolve) => {
      this.queue.push({ subject, data, msgID, done: resolve });
      this.pump();
    });
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
    for (const buf of this.buffers.values()) this.enqueueTicks(buf);
    this.buffers.clear();
    this.pump();
  }

  private enqueueTicks(ticks: Tick[]): void {
    const first = ticks[0]!;
    const batch: TickBatch = { v: 1, ticks };
    this.queue.push({
      subject: subjects.tick(first.venue, first.symbol),
      data: encode(batch),
      msgID: msgIds.ticks(first.venue, first.symbol, first.seq, ticks[ticks.length - 1]!.seq, first.exchTs),
      ticks,
    });
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight && this.qHead < this.queue.length) {
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

  private async send(msg: Outgoing): Promise<void> {
    try {
      const ack = await this.policy.execute(() => this.js.publish(msg.subject, msg.data, { msgID: msg.msgID }));
      const now = this.o.clock.now();
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
      msg.done?.();
      this.pump();
    }
  }
}
