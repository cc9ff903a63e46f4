/**
 * The mover-ranker's I/O shell: a LeaderLease (one leader at a time in
 * BUCKET.leaders, name RANKER_LEADER_NAME), a Leadership while elected, and the
 * candle-history responder, which every instance runs (it only reads ROOMLOG).
 *
 * All computations (movers, topcoins, pulse, alerts, candles) share one leader: they
 * consume the same ticks, so one decode of the tick stream feeds them all and a
 * failover rebuilds them all from one replay.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import { getLogger } from "@logtape/logtape";
import { LeaderLease } from "../lease/mod.ts";
import type { Clock } from "../runtime/mod.ts";
import type { Metrics } from "../../lib/platform/metrics.ts";
import type { RankerConfig } from "./config.ts";
import type { KlineEndpoints } from "./backfill.ts";
import { VenueKlines } from "./backfill.ts";
import { candleHistory, serveCandleHistory } from "./history.ts";
import { Leadership } from "./leadership.ts";
import { Freshness } from "../freshness.ts";

export interface RankerServiceOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The leader bucket (BUCKET.leaders); its TTL is the lease. */
  kv: KV;
  clock: Clock;
  leaseMs: number;
  holderId: string;
  config: RankerConfig;
  metrics?: Metrics;
  /** Klines REST bases for history beyond ROOMLOG (none: no backfill). */
  klines?: KlineEndpoints;
  /** Leadership could not start (JetStream unreadable): the actor should crash and release the lease. */
  onError?: (err: unknown) => void;
  /** Default 10 s; see {@link RankerService.freshness}. */
  staleAfterMs?: number;
}

export class RankerService {
  readonly #o: RankerServiceOptions;
  readonly #log;
  #lease?: LeaderLease;
  #run?: Leadership;
  #history?: Subscription;
  #stopped = false;
  elections = 0;
  readonly #fresh: Freshness;

  constructor(o: RankerServiceOptions) {
    this.#o = o;
    this.#log = getLogger(["tickflow", "ranker", o.holderId]);
    this.#fresh = new Freshness("ranker", o.clock, o.staleAfterMs ?? 10_000);
    const m = o.metrics;
    m?.gauge("tickflow_ranker_leader", "1 while this instance leads the ranker").set(() => (this.#run ? 1 : 0), { holder: o.holderId });
    m?.gauge("tickflow_ranker_late_ticks", "Ticks dropped for closed windows or minutes").set(() => this.#run?.ranker.stats.late ?? 0);
    m?.gauge("tickflow_ranker_future_ticks", "Ticks stamped beyond RANKER_MAX_SKEW ahead of their receive time (time corrected)").set(() => this.#run?.ranker.stats.future ?? 0);
    m?.gauge("tickflow_ranker_alerts", "Alerts raised by this leader").set(() => this.#run?.ranker.stats.alerts ?? 0);
  }

  /** The running leadership, if this instance leads. */
  get leadership(): Leadership | undefined {
    return this.#run;
  }

  async start(signal?: AbortSignal): Promise<void> {
    const { nc, js, clock, config } = this.#o;
    const klines = this.#o.klines ? new VenueKlines(this.#o.klines, { now: () => clock.now() }) : undefined;
    this.#history = serveCandleHistory(nc, js, () => clock.now(), { jsm: this.#o.jsm, ...(klines ? { klines } : {}) });
    if (klines) this.#prefetch(klines);
    this.#lease = new LeaderLease({
      kv: this.#o.kv,
      name: config.RANKER_LEADER_NAME,
      holderId: this.#o.holderId,
      leaseMs: this.#o.leaseMs,
      clock,
      onElected: () => this.#elect(),
      onDeposed: () => this.#depose(),
    });
    await this.#lease.start(signal);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#lease?.stop();
    await this.#depose();
    this.#history?.unsubscribe();
  }

  /** Warm the klines cache for the configured symbols (best effort: a failure only logs). */
  #prefetch(klines: VenueKlines): void {
    const { js, jsm, clock, config } = this.#o;
    void (async () => {
      for (const symbol of config.CANDLE_PREFETCH) {
        if (this.#stopped) return;
        await candleHistory({ js, jsm, klines, now: () => clock.now() }, { symbol, tf: "1m", limit: 1440 })
          .catch((err) => this.#log.warn("candle prefetch for {symbol} failed: {err}", { symbol, err: String(err) }));
      }
    })();
  }

  status(): Record<string, unknown> {
    const r = this.#run;
    return {
      holder: this.#o.holderId,
      leader: !!r,
      live: r?.live ?? false,
      elections: this.elections,
      ...(r ? { ...r.ranker.stats, ...r.stats, symbols: r.ranker.latest.size } : {}),
      freshness: this.freshness(),
    };
  }

  /**
   * Ticks in and each computation's output. Expected only on a leader that caught up.
   * Each computation's limit is its own longest quiet period plus STALE_AFTER: movers at
   * least every MOVERS_MAX_INTERVAL, pulse once a window (after the lateness allowance),
   * candles every CANDLE_PARTIAL_INTERVAL (or each minute). Alerts and topcoins depend on
   * the market (thresholds, CoinGecko's poll) and only report their age.
   */
  freshness() {
    const f = this.#fresh;
    const c = this.#o.config;
    const s = f.staleAfterMs;
    const limits: Record<string, number> = {
      in: s,
      "out:movers": c.MOVERS_MAX_INTERVAL + s,
      "out:pulse": c.PULSE_WINDOW + c.ALLOWED_LATENESS + s,
      "out:candles": (c.CANDLE_PARTIAL_INTERVAL > 0 ? c.CANDLE_PARTIAL_INTERVAL : 60_000) + s,
    };
    const on = this.#run?.live === true;
    for (const [k, ms] of Object.entries(limits)) {
      if (on) f.expect(k, ms);
      else f.unexpect(k);
    }
    return f.report();
  }

  #elect(): void {
    if (this.#stopped) return;
    this.elections++;
    const run = new Leadership({ ...this.#o, log: this.#log, freshness: this.#fresh });
    this.#run = run;
    run.begin().catch(async (err) => {
      if (run.ended) return;
      this.#log.error("ranker leadership failed to start: {err}", { err: String(err) });
      await this.#depose();
      this.#o.onError?.(err);
    });
  }

  async #depose(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    await run?.end();
  }
}
