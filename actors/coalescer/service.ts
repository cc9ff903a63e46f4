/**
 * The coalescer's I/O: one durable pull consumer per owned partition (filter
 * `md.tick.*.*.p<k>`, partition-consumers.ts), partition
 * ownership through Membership leases, takeover of partitions, the flush timer and the
 * `ticker.all` writer. The logic it drives lives in coalescer.ts; the runtime wrapper
 * in mod.ts. See README.md for why the consumer is per member and when acks are sent.
 */
import { type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import { getLogger } from "@logtape/logtape";
import { STREAM } from "../../lib/platform/streams.ts";
import { rooms, subjects, TICK_PARTITIONS } from "../../lib/contracts/subjects.ts";
import { Membership } from "../lease/mod.ts";
import type { Clock, TimerHandle } from "../runtime/mod.ts";
import type { Metrics } from "../../lib/platform/metrics.ts";
import type { TickerData } from "../../lib/contracts/protocol.ts";
import { Coalescer, partitionKey, symbolOfTickSubject, TICKER_ALL_KEY } from "./coalescer.ts";
import type { CoalescerConfig } from "./config.ts";
import { type CoalescerMetrics, coalescerMetrics } from "./metrics.ts";
import { decodeTickBatch } from "./fast-decode.ts";
import { readLastPerSubject } from "./jetstream-read.ts";
import { consumeAllTicks, PartitionConsumers } from "./partition-consumers.ts";
import { LiveTap } from "./live-tap.ts";
import { RoomPublisher } from "./room-publisher.ts";
import { TickerAllBuffer, tickerOfRoomMessage } from "./ticker-all.ts";
import { sameTicker, tickerData } from "./ticker.ts";
import { Freshness } from "../freshness.ts";

export interface CoalescerServiceOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The coalescer lease bucket (BUCKET.coalescers); its TTL is the lease. */
  kv: KV;
  clock: Clock;
  leaseMs: number;
  /** Unique per instance; also names the durable consumer. */
  memberId: string;
  config: CoalescerConfig;
  metrics?: Metrics;
  /** Membership poll period; default leaseMs / 5. */
  pollMs?: number;
  /** Background work failed beyond repair (the actor should crash). */
  onError?: (err: unknown) => void;
  /**
   * Per acked tick message (benchmarks): ms from its receipt to the publish of the flush
   * that covered it (messages handed to the client), and to that flush's last PubAck.
   */
  onLatency?: (sentMs: number, ackedMs: number, ticks: number) => void;
  /** No tick in, or no room out while owning partitions, for this long = stale. Default 10 s. */
  staleAfterMs?: number;
}

interface Held {
  m: JsMsg;
  at: number;
  ticks: number;
}

/** Consumer names allow no `.`, `*`, `>` or whitespace. */
export const durableName = (memberId: string): string => `coalescer_${memberId.replace(/[^A-Za-z0-9_-]/g, "_")}`;

export class CoalescerService {
  readonly core: Coalescer;
  readonly publisher: RoomPublisher;
  readonly stats = { messages: 0, ticks: 0, skipped: 0, bad: 0, published: 0, flushes: 0, publishErrors: 0, takeovers: 0 };
  readonly #o: CoalescerServiceOptions;
  readonly #log;
  readonly #durable: string;
  #membership?: Membership;
  #messages?: ConsumerMessages;
  /** Per-partition consumers (when COALESCER_PARTITIONS = TICK_PARTITIONS); else one consumer in #messages. */
  #parts?: PartitionConsumers;
  /** Core-NATS ticks for partitions whose consumer is stalled (live-tap.ts); with #parts only. */
  #tap?: LiveTap;
  #held: Held[] = [];
  #all?: { sub: Subscription; buffer: TickerAllBuffer };
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** When the next flush is due (clock ms; 0 before the first). */
  #dueAt = 0;
  #takeovers: Promise<void> = Promise.resolve();
  #retryTimer: TimerHandle | undefined;
  #tapTimer: TimerHandle | undefined;
  #stopped = false;
  readonly #keys: string[];
  readonly #m: CoalescerMetrics | undefined;
  /** `in`: last tick message received; `out`: last flush whose room messages were all acked. */
  readonly #fresh: Freshness;

  constructor(o: CoalescerServiceOptions) {
    this.#o = o;
    this.core = new Coalescer({ partitions: o.config.COALESCER_PARTITIONS, degradedAfterMs: o.config.COALESCER_DEGRADED_AFTER });
    this.publisher = new RoomPublisher(o.js, o.jsm, { timeoutMs: o.config.COALESCER_PUBLISH_TIMEOUT });
    this.#durable = durableName(o.memberId);
    this.#fresh = new Freshness("coalescer", o.clock, o.staleAfterMs ?? 10_000);
    this.#log = getLogger(["tickflow", "coalescer", o.memberId]);
    this.#keys = [TICKER_ALL_KEY, ...Array.from({ length: this.core.partitions }, (_, i) => partitionKey(i))];
    this.#m = o.metrics && coalescerMetrics(o.metrics);
  }

  get memberId(): string {
    return this.#o.memberId;
  }

  /** Create the consumer(s), join the membership and start flushing. */
  async start(signal?: AbortSignal): Promise<void> {
    const { jsm, js, config, leaseMs } = this.#o;
    const inactiveMs = Math.max(60_000, 6 * leaseMs);
    if (config.COALESCER_PARTITIONS === TICK_PARTITIONS) {
      // Consumers follow ownership: created in the takeover chain (#takeover).
      this.#parts = new PartitionConsumers({
        js,
        jsm,
        durable: this.#durable,
        ackWaitMs: config.COALESCER_ACK_WAIT,
        maxAckPending: config.COALESCER_MAX_ACK_PENDING,
        inactiveMs,
        onMessage: (m, p) => {
          this.#tap?.delivered(p, () => m.info.pending);
          this.#onMessage(m);
        },
        onLost: (err) => {
          if (!this.#stopped) this.#o.onError?.(err);
        },
      });
      if (config.COALESCER_LIVE_TAP > 0) {
        this.#tap = new LiveTap({
          nc: this.#o.nc,
          clock: this.#o.clock,
          quietMs: config.COALESCER_LIVE_TAP,
          onData: (data) => {
            if (this.#apply(data, this.#o.clock.now()) >= 0) this.#fresh.mark("in");
          },
          onSwitch: (p, on) => this.#log.debug("partition {p}: core tap {state}", { p, state: on ? "on (consumer quiet)" : "off" }),
        });
      }
    } else {
      // Partitions that are not the subjects' ones: one consumer on md.tick.>, skipping others' symbols by subject.
      this.#messages = await consumeAllTicks(js, jsm, {
        durable: this.#durable,
        ackWaitMs: config.COALESCER_ACK_WAIT,
        maxAckPending: config.COALESCER_MAX_ACK_PENDING,
        inactiveMs,
        onMessage: (m) => this.#onMessage(m),
        onLost: (err) => {
          if (!this.#stopped) this.#o.onError?.(err);
        },
      });
    }
    this.#membership = new Membership({
      kv: this.#o.kv,
      memberId: this.#o.memberId,
      leaseMs,
      clock: this.#o.clock,
      ...(this.#o.pollMs ? { pollMs: this.#o.pollMs } : {}),
      info: { kind: "coalescer" },
      // A KV leader election (cluster) or a short NATS outage must not drop the
      // partitions: they are kept while the lease is valid by our clock.
      keepThroughErrors: true,
      onChange: () => this.#rebalance(),
      onLost: () => this.#rebalance(),
    });
    await this.#membership.start(signal);
    this.#rebalance();
    this.#schedule();
    if (this.#tap) this.#checkTap(Math.max(50, Math.floor(config.COALESCER_LIVE_TAP / 4)));
  }

  /** Tap quiet partitions on their own timer: a flush can wait for PubAcks (ROOMS electing) and must not delay it. */
  #checkTap(everyMs: number): void {
    if (this.#stopped) return;
    this.#tap?.check(this.core.ownedPartitions());
    this.#tapTimer = this.#o.clock.setTimeout(() => this.#checkTap(everyMs), everyMs);
  }

  /** Stop consuming, publish and ack what is held, give the lease up, delete the consumer. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#o.clock.clearTimeout(this.#retryTimer);
    this.#o.clock.clearTimeout(this.#tapTimer);
    await this.#messages?.close().catch(() => {});
    await this.#parts?.halt();
    this.#tap?.close();
    await this.#flushing;
    if (this.#membership?.view().held) await this.#flush().catch(() => {});
    await this.#membership?.stop();
    this.#all?.sub.unsubscribe();
    this.#all = undefined;
    await this.#parts?.close();
    if (!this.#parts) await this.#o.jsm.consumers.delete(STREAM.md, this.#durable).catch(() => {});
  }

  status(): Record<string, unknown> {
    return {
      member: this.#o.memberId,
      partitions: this.core.ownedPartitions(),
      consumers: this.#parts ? this.#parts.partitions.length : 1,
      tickerAll: !!this.#all,
      symbols: this.core.latest.size,
      held: this.#held.length,
      ...(this.#tap ? { tapped: this.#tap.tapped, tapStarts: this.#tap.started, tapMessages: this.#tap.messages } : {}),
      ...this.stats,
      freshness: this.#freshness(),
    };
  }

  #freshness() {
    const f = this.#fresh;
    if (this.#messages) f.expect("in");
    if (this.core.ownedPartitions().length > 0 || this.#all) f.expect("out");
    else f.unexpect("out");
    return f.report();
  }

  #onMessage(m: JsMsg): void {
    this.stats.messages++;
    this.#fresh.mark("in");
    if (!this.core.owns(symbolOfTickSubject(m.subject))) {
      // Not ours: "seen". Its owner has its own consumer.
      this.stats.skipped++;
      m.ack();
      return;
    }
    const n = this.#apply(m.data, this.#o.clock.now());
    if (n < 0) {
      m.term(); // never valid, never redeliver
      return;
    }
    this.#held.push({ m, at: this.#o.clock.now(), ticks: n });
  }

  /** Decode a TickBatch and offer its ticks; -1 if invalid. */
  #apply(data: Uint8Array, now: number): number {
    const r = decodeTickBatch(data);
    if (!r.ok) {
      this.stats.bad++;
      this.#m?.bad.inc();
      if (this.stats.bad === 1 || this.stats.bad % 1000 === 0) this.#log.warn("bad tick message: {error}", { error: r.error });
      return -1;
    }
    for (const t of r.value.ticks) this.core.offer(t, now);
    this.stats.ticks += r.value.ticks.length;
    this.#m?.ticks.inc(undefined, r.value.ticks.length);
    return r.value.ticks.length;
  }

  #rebalance(): void {
    const ms = this.#membership;
    if (this.#stopped || !ms) return;
    const owned = ms.view().held ? ms.owned(this.#keys) : [];
    const parts = owned.filter((k) => k !== TICKER_ALL_KEY).map((k) => Number(k.slice(1)));
    const { added, removed } = this.core.assign(parts);
    this.#m?.owned.set(parts.length);
    if (added.length || removed.length) this.#log.info("partitions +[{added}] -[{removed}]", { added: added.join(","), removed: removed.join(",") });
    this.#setTickerAll(owned.includes(TICKER_ALL_KEY));
    if (added.length || (removed.length && this.#parts)) this.#takeover();
  }

  #setTickerAll(own: boolean): void {
    if (own && !this.#all) {
      const buffer = new TickerAllBuffer();
      const prefix = "room.ticker.";
      const sub = this.#o.nc.subscribe(`${prefix}*`, {
        callback: (_err, msg) => {
          const symbol = msg.subject.slice(prefix.length);
          // Our own partitions' tickers go in directly at flush time.
          if (symbol === "all" || this.core.isActive(this.core.partition(symbol))) return;
          const t = tickerOfRoomMessage(msg.data);
          if (t) buffer.add(t);
        },
      });
      this.#all = { sub, buffer };
      this.publisher.forget(rooms.tickerAll);
    } else if (!own && this.#all) {
      this.#all.sub.unsubscribe();
      this.#all = undefined;
    }
  }

  /** Queue a takeover of the pending partitions (serialised; retried after a failure). */
  #takeover(): void {
    this.#takeovers = this.#takeovers.then(async () => {
      const t0 = this.#o.clock.now();
      // Consume the owned partitions before reading their last ticks: nothing falls between.
      await this.#parts?.set(this.core.ownedPartitions(), { keepRemoved: !this.#membership?.view().held });
      const t1 = this.#o.clock.now();
      const n = await this.#loadPending();
      if (n > 0) this.#log.info("{n} partitions active after {ms} ms (consumers {c} ms, last ticks and rooms {l} ms)", { n, ms: this.#o.clock.now() - t0, c: t1 - t0, l: this.#o.clock.now() - t1 });
    }).catch((err) => {
      if (this.#stopped) return;
      this.#log.warn("partition takeover failed, retrying: {err}", { err: String(err) });
      this.#retryTimer = this.#o.clock.setTimeout(() => this.#takeover(), 1000);
    });
  }

  /** Load latest ticks (MD, last per subject) and each room's last seq (ROOMS), then activate. */
  async #loadPending(): Promise<number> {
    const pending = new Set(this.core.ownedPartitions().filter((p) => !this.core.isActive(p)));
    if (this.#stopped || pending.size === 0) return 0;
    this.stats.takeovers++;
    await readLastPerSubject(this.#o.js, STREAM.md, subjects.allTicks, (m) => {
      if (pending.has(this.core.partition(symbolOfTickSubject(m.subject)))) this.#apply(m.data, this.#o.clock.now());
    });
    for (const p of pending) {
      if (this.core.isActive(p) || !this.core.ownedPartitions().includes(p)) continue;
      await Promise.all(this.core.symbolsIn(p).map(async (symbol) => {
        const room = rooms.ticker(symbol);
        const last = await this.publisher.loadLast(room);
        this.publisher.prime(room, last);
        const e = this.core.latest.get(symbol);
        // Publish on takeover only what the room does not show yet.
        if (e && sameTicker(last.data, tickerData(e.tick))) this.core.latest.clean(symbol);
      }));
      this.core.activate(p);
    }
    return pending.size;
  }

  /**
   * Flushes run on a fixed cadence: each is due one interval after the previous one was
   * due, not after it finished, so waiting for PubAcks does not stretch the period (and
   * every tick's wait) beyond the interval. One flush at a time: a late one starts as
   * soon as the previous is done.
   */
  #schedule(): void {
    if (this.#stopped) return;
    const { clock, config } = this.#o;
    const now = clock.now();
    this.#dueAt = this.#dueAt === 0 ? now + config.COALESCE_INTERVAL : Math.max(now, this.#dueAt + config.COALESCE_INTERVAL);
    this.#timer = clock.setTimeout(() => {
      this.#flushing = this.#flush()
        .catch((err) => this.#log.warn("flush failed: {err}", { err: String(err) }))
        .finally(() => this.#schedule());
    }, this.#dueAt - now);
  }

  /** Publish changed tickers (and ticker.all), then ack the tick messages they cover. */
  async #flush(): Promise<void> {
    const { clock } = this.#o;
    const updates = this.core.take();
    const held = this.#held;
    this.#held = [];
    let all: TickerData[] = [];
    if (this.#all) {
      for (const u of updates) this.#all.buffer.add(u.data);
      all = this.#all.buffer.take();
    }
    if (updates.length === 0 && all.length === 0 && held.length === 0) return;
    this.stats.flushes++;
    const ts = clock.now();
    let failed = false;
    const jobs = updates.map((u) =>
      this.publisher.publish(rooms.ticker(u.symbol), u.data, ts).then(
        (p) => {
          this.stats.published++;
          if (p.duplicate) this.core.latest.markDirty(u.symbol); // another writer's message holds this seq
        },
        (err) => {
          failed = true;
          this.core.latest.markDirty(u.symbol);
          this.#log.warn("publish failed: {err}", { err: String(err) });
        },
      )
    );
    if (all.length > 0) {
      const buffer = this.#all?.buffer;
      jobs.push(this.publisher.publish(rooms.tickerAll, { tickers: all }, ts).then(
        () => void this.stats.published++,
        (err) => {
          failed = true;
          buffer?.restore(all);
          this.#log.warn("publish of ticker.all failed: {err}", { err: String(err) });
        },
      ));
    }
    const sent = clock.now();
    await Promise.all(jobs);
    this.#m?.rooms.inc(undefined, jobs.length);
    if (failed) {
      // Keep the messages unacked until a flush that covers them succeeds.
      this.stats.publishErrors++;
      this.#held = held.concat(this.#held);
      return;
    }
    const done = clock.now();
    if (jobs.length > 0) this.#fresh.mark("out", done);
    for (const h of held) {
      h.m.ack();
      this.#m?.latency.observe(done - h.at);
      this.#o.onLatency?.(sent - h.at, done - h.at, h.ticks);
    }
  }
}
