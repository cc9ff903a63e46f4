/**
 * What the ranker leader runs, from election to deposition: it rebuilds from
 * JetStream, follows ticks and market snapshots, publishes rooms, answers refreshes.
 *
 * Rebuild (no blank screen: the last message of every room stays in ROOMS/ROOMLOG
 * for clients meanwhile):
 * 1. pulse: continue after the last published window (ROOMS last_by_subj);
 * 2. candles: per symbol with candles in ROOMLOG, the last final minute is not re-emitted;
 * 3. alerts: alerts since (replay start − cool-down) restore the per-symbol cool-downs,
 *    so replayed ticks do not raise an alert again;
 * 4. movers/topcoins: the last tick of every md.tick subject (last per subject);
 * 5. market snapshots: last per subject, then live;
 * 6. ticks: replayed from now − RANKER_REPLAY (so the open window and minute are
 *    rebuilt from their ticks), then live. Windows and minutes that started before the
 *    replay are not published at all (they would be partial).
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { Logger } from "@logtape/logtape";
import { decode } from "../../lib/contracts/codec.ts";
import { FeedStatus, MarketSnapshot, TradeBatch } from "../../lib/contracts/messages.ts";
import { isStreamRoom, rooms, subjects } from "../../lib/contracts/subjects.ts";
import { STREAM } from "../../lib/platform/streams.ts";
import { AlertData, CandleData, PulseData } from "../../lib/contracts/protocol.ts";
import type { Clock, TimerHandle } from "../runtime/mod.ts";
import { decodeTickBatch } from "../coalescer/fast-decode.ts";
import { readLastPerSubject, readStream } from "../coalescer/jetstream-read.ts";
import { RoomPublisher } from "../coalescer/mod.ts";
import type { RankerConfig } from "./config.ts";
import { Ranker, type RoomOutput } from "./ranker.ts";
import { ceilTo } from "./watermark.ts";
import type { Freshness } from "../freshness.ts";

export interface LeadershipDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  clock: Clock;
  config: RankerConfig;
  log: Logger;
  onPublished?: (room: string) => void;
  /** Marked `in` per tick message and `out:<computation>` per published room (kept across elections). */
  freshness?: Freshness;
}

/** The computation a room belongs to: movers, topcoins, pulse, alerts or candles. */
export const computationOf = (room: string): string => room.split(".", 1)[0]!;

const MAX_RETRY = 10_000;
const dec = new TextDecoder();
const dataOf = (bytes: Uint8Array): unknown => {
  try {
    return (JSON.parse(dec.decode(bytes)) as { data?: unknown }).data;
  } catch {
    return undefined;
  }
};

export class Leadership {
  readonly ranker: Ranker;
  readonly publisher: RoomPublisher;
  live = false;
  readonly stats = { bad: 0, published: 0, publishErrors: 0, replayed: 0 };
  #ended = false;
  #timer: TimerHandle | undefined;
  readonly #subs: Subscription[] = [];
  readonly #feeds: ConsumerMessages[] = [];
  #retry: RoomOutput[] = [];

  constructor(private readonly d: LeadershipDeps) {
    const c = d.config;
    this.ranker = new Ranker({
      moversTopN: c.MOVERS_TOP_N,
      topCoinsN: c.TOPCOINS_N,
      minIntervalMs: c.MOVERS_MIN_INTERVAL,
      maxIntervalMs: c.MOVERS_MAX_INTERVAL,
      alertThresholdPct: c.ALERT_THRESHOLD_PCT,
      alertCooldownMs: c.ALERT_COOLDOWN,
      latenessMs: c.ALLOWED_LATENESS,
      idleMs: c.WATERMARK_IDLE,
      maxSkewMs: c.RANKER_MAX_SKEW,
      pulseWindowMs: c.PULSE_WINDOW,
      candlePartialMs: c.CANDLE_PARTIAL_INTERVAL,
    });
    this.publisher = new RoomPublisher(d.js, d.jsm);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Rebuild, then follow the streams. Rejects if JetStream cannot be read. */
  async begin(): Promise<void> {
    const { js, jsm, clock, config } = this.d;
    const r = this.ranker;
    const now = clock.now();
    const replayStart = now - config.RANKER_REPLAY;

    const pulse = await this.publisher.loadLast(rooms.pulse);
    this.publisher.prime(rooms.pulse, pulse);
    const lastPulse = PulseData.safeParse(pulse.data);
    r.pulse.closeBefore(Math.max(ceilTo(replayStart, config.PULSE_WINDOW), lastPulse.success ? lastPulse.data.windowEnd : -Infinity));

    // A period that started before the replay would be partial: it is not published (history fills it from the venue).
    for (const b of r.candleBooks) b.closeBefore(ceilTo(replayStart, b.intervalMs));
    const info = await jsm.streams.info(STREAM.roomLog, { subjects_filter: "room.candles.>" });
    const candleRooms = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice("room.".length));
    for (let i = 0; i < candleRooms.length; i += 64) {
      if (this.#ended) return;
      await Promise.all(candleRooms.slice(i, i + 64).map(async (room) => {
        const last = await this.publisher.loadLast(room);
        this.publisher.prime(room, last);
        const c = CandleData.safeParse(last.data);
        const book = r.candleBooks.find((b) => room.endsWith(`.${b.tf}`));
        if (c.success && book) book.restore(c.data.symbol, c.data.final ? c.data.start : c.data.start - book.intervalMs, c.data.start);
      }));
    }

    // Alerts the old leader raised for ticks we are about to replay, and those still cooling down.
    const alertsFrom = new Date(replayStart - config.ALERT_COOLDOWN);
    await readStream(js, STREAM.roomLog, subjects.room(rooms.alerts), { startTime: alertsFrom }, (m) => {
      const a = AlertData.safeParse(dataOf(m.data));
      if (a.success) r.alerts.restore(a.data);
    });

    await readLastPerSubject(js, STREAM.md, subjects.allTicks, (m) => {
      const b = decodeTickBatch(m.data);
      if (b.ok) for (const t of b.value.ticks) r.warm(t, now);
    });
    if (this.#ended) return;

    const markets = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allMarkets, deliver_policy: DeliverPolicy.LastPerSubject });
    this.#feeds.push(await markets.consume({ callback: (m) => this.#onMarket(m) }));

    const feeds = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allFeeds, opt_start_time: new Date(replayStart - 86_400_000).toISOString() });
    this.#feeds.push(await feeds.consume({ callback: (m) => this.#onFeed(m) }));
    const trades = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allTrades, opt_start_time: new Date(replayStart).toISOString() });
    this.#feeds.push(await trades.consume({ max_messages: 2000, callback: (m) => this.#onTrades(m) }));

    const ticks = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allTicks, opt_start_time: new Date(replayStart).toISOString() });
    if ((await ticks.info(true)).num_pending === 0) this.live = true;
    this.#feeds.push(await ticks.consume({ max_messages: 2000, callback: (m) => this.#onTicks(m) }));

    this.#subs.push(this.#serveRefresh("movers"), this.#serveRefresh("topcoins"));
    if (this.#ended) return void this.end();
    this.#schedule();
  }

  /** Stop following and publishing (deposed or stopping). Safe to call twice. */
  async end(): Promise<void> {
    this.#ended = true;
    this.d.clock.clearTimeout(this.#timer);
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    await Promise.allSettled(this.#feeds.splice(0).map((f) => f.close()));
    await this.publisher.idle();
  }

  #onTicks(m: JsMsg): void {
    const b = decodeTickBatch(m.data);
    if (!b.ok) {
      this.stats.bad++;
      return;
    }
    const now = this.d.clock.now();
    this.d.freshness?.mark("in", now);
    for (const t of b.value.ticks) this.ranker.offerTick(t, now);
    if (!this.live) {
      this.stats.replayed++;
      if (m.info.pending === 0) {
        this.live = true;
        this.d.log.info("ranker caught up after replaying {n} messages", { n: this.stats.replayed });
      }
    }
  }

  #onTrades(m: JsMsg): void {
    const b = decode(TradeBatch, m.data);
    if (!b.ok) {
      this.stats.bad++;
      return;
    }
    for (const t of b.value.trades) this.ranker.offerTrade(t);
  }

  #onFeed(m: JsMsg): void {
    const f = decode(FeedStatus, m.data);
    if (f.ok) this.ranker.offerFeed(f.value);
    else this.stats.bad++;
  }

  #onMarket(m: JsMsg): void {
    const s = decode(MarketSnapshot, m.data);
    if (s.ok) this.ranker.offerMarket(s.value);
    else this.stats.bad++;
  }

  #serveRefresh(kind: "movers" | "topcoins"): Subscription {
    return this.d.nc.subscribe(subjects.refresh(kind), {
      queue: "ranker",
      callback: (_err, msg) => {
        const now = this.d.clock.now();
        const data = kind === "movers" ? this.ranker.moversNow(now) : this.ranker.topCoinsNow(now);
        this.ranker.published(kind, data, now);
        this.publisher.publish(kind, data, now).then(
          (p) => {
            this.stats.published++;
            this.d.freshness?.mark(`out:${kind}`);
            msg.respond(p.bytes);
          },
          (err) => {
            this.stats.publishErrors++;
            msg.respond(new TextEncoder().encode(JSON.stringify({ error: { code: "unavailable", message: String(err?.message ?? err) } })));
          },
        );
      },
    });
  }

  #schedule(): void {
    if (this.#ended) return;
    this.#timer = this.d.clock.setTimeout(() => {
      this.#poll();
      this.#schedule();
    }, this.d.config.RANKER_POLL_INTERVAL);
  }

  #poll(): void {
    const now = this.d.clock.now();
    const outs = this.#retry.concat(this.ranker.poll(now, this.live));
    this.#retry = [];
    for (const o of outs) {
      this.publisher.publish(o.room, o.data, now).then(
        () => {
          this.stats.published++;
          this.d.freshness?.mark(`out:${computationOf(o.room)}`);
          this.d.onPublished?.(o.room);
        },
        (err) => {
          this.stats.publishErrors++;
          // Stream rooms keep every message: retry at the next poll. Snapshot rooms are superseded anyway.
          if (isStreamRoom(o.room) && this.#retry.length < MAX_RETRY && !this.#ended) this.#retry.push(o);
          this.d.log.warn("publish to {room} failed: {err}", { room: o.room, err: String(err) });
        },
      );
    }
  }
}
