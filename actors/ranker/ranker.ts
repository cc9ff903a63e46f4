/**
 * The mover-ranker's logic in one place, without a network: it takes ticks and market
 * snapshots, and produces room payloads to publish. The caller owns the clock (`now`
 * arguments) and the I/O (service.ts).
 *
 * Rooms and when they are produced:
 * - movers, topcoins: when the content (rows, not `asOf`) changed, at most every
 *   `minIntervalMs` (1 s), and at least every `maxIntervalMs` (90 s) even unchanged;
 *   only once live (caught up), so a replay does not publish stale rankings;
 * - markets: CoinGecko's coins (names, ranks, market caps, 24 h sparklines), when a new
 *   snapshot came, at most every `minIntervalMs`, at least every `maxIntervalMs`, once live;
 * - pulse: one message per closed 30 s window (watermark.ts);
 * - alerts: one message per alert, as the tick that raises it arrives;
 * - candles.<SYMBOL>.<tf> for tf in 1m, 5m, 15m, 1h, 1d: final candles when a period
 *   closes, and in-progress candles (final: false) every `candlePartialMs` when they
 *   changed (0 disables them). Built from trades where the venue sends them.
 */
import type { FeedStatus, MarketSnapshot, Tick, Trade } from "../../lib/contracts/messages.ts";
import { rooms } from "../../lib/contracts/subjects.ts";
import { CANDLE_TIMEFRAMES, type MarketsData, type MoversData, type TopCoinsData } from "../../lib/contracts/protocol.ts";
import { DEGRADED_VENUE, LatestTicks } from "../coalescer/ticker.ts";
import { AlertDetector } from "./alerts.ts";
import { CandleBook } from "./candles.ts";
import { MarketIndex, rankMovers, rankTopCoins, type SymbolState, symbolStateOf } from "./movers.ts";
import { PulseWindows } from "./pulse.ts";
import { clampExchTs, Watermark } from "./watermark.ts";

export interface RankerOptions {
  moversTopN?: number;
  topCoinsN?: number;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  alertThresholdPct?: number;
  alertCooldownMs?: number;
  latenessMs?: number;
  idleMs?: number;
  pulseWindowMs?: number;
  candlePartialMs?: number;
  degradedAfterMs?: number;
  /** A tick stamped more than this ahead of its receive time gets the receive time instead (RANKER_MAX_SKEW). */
  maxSkewMs?: number;
}

export interface RoomOutput {
  room: string;
  data: unknown;
}

/** Decides when a snapshot room is due: changed and ≥ min interval, or ≥ max interval. */
export class Throttle {
  #lastAt = -Infinity;
  #lastKey: string | undefined;
  constructor(readonly minMs: number, readonly maxMs: number) {}
  due(now: number, key: string): boolean {
    const since = now - this.#lastAt;
    return since >= this.maxMs || (since >= this.minMs && key !== this.#lastKey);
  }
  mark(now: number, key: string): void {
    this.#lastAt = now;
    this.#lastKey = key;
  }
}

export class Ranker {
  readonly latest: LatestTicks;
  readonly markets = new MarketIndex();
  readonly pulse: PulseWindows;
  /** One candle book per timeframe, 1m first. */
  readonly candleBooks: readonly CandleBook[] = Object.entries(CANDLE_TIMEFRAMES).map(([tf, intervalMs]) => new CandleBook({ tf, intervalMs }));
  /** The 1-minute book. */
  readonly candles = this.candleBooks[0]!;
  readonly alerts: AlertDetector;
  readonly watermark: Watermark;
  /** `future`: ticks stamped more than maxSkewMs ahead of their receive time (their time corrected). */
  readonly stats = { ticks: 0, trades: 0, late: 0, alerts: 0, future: 0 };
  readonly #o: Required<RankerOptions>;
  readonly #movers: Throttle;
  readonly #topcoins: Throttle;
  readonly #markets: Throttle;
  #lastPartialAt = -Infinity;
  #out: RoomOutput[] = [];

  constructor(o: RankerOptions = {}) {
    this.#o = {
      moversTopN: 10,
      topCoinsN: 20,
      minIntervalMs: 1000,
      maxIntervalMs: 90_000,
      alertThresholdPct: 10,
      alertCooldownMs: 300_000,
      latenessMs: 5000,
      idleMs: 5000,
      pulseWindowMs: 30_000,
      candlePartialMs: 10_000,
      degradedAfterMs: 15_000,
      maxSkewMs: 5000,
      ...o,
    };
    this.latest = new LatestTicks(this.#o.degradedAfterMs);
    this.pulse = new PulseWindows({ windowMs: this.#o.pulseWindowMs });
    this.alerts = new AlertDetector({ thresholdPct: this.#o.alertThresholdPct, cooldownMs: this.#o.alertCooldownMs });
    this.watermark = new Watermark({ latenessMs: this.#o.latenessMs, idleMs: this.#o.idleMs });
    this.#movers = new Throttle(this.#o.minIntervalMs, this.#o.maxIntervalMs);
    this.#topcoins = new Throttle(this.#o.minIntervalMs, this.#o.maxIntervalMs);
    this.#markets = new Throttle(this.#o.minIntervalMs, this.#o.maxIntervalMs);
  }

  /** Apply a tick; `now` is the local receive time (for degraded-tick precedence). */
  offerTick(tick: Tick, now: number): void {
    this.stats.ticks++;
    const c = clampExchTs(tick.exchTs, tick.recvTs, this.#o.maxSkewMs);
    const t = c.corrected ? { ...tick, exchTs: c.ts } : tick;
    if (c.corrected) this.stats.future++;
    this.latest.offer(t, now);
    // Degraded (CoinGecko) ticks carry minutes-old update times: they would hold the slowest-venue watermark back.
    if (t.venue !== DEGRADED_VENUE) this.watermark.observe(t.exchTs, t.venue);
    if (this.pulse.offer(t) === "late") this.stats.late++;
    for (const b of this.candleBooks) if (b.offer(t) === "late" && b === this.candles) this.stats.late++;
    const a = this.alerts.offer(t);
    if (a) {
      this.stats.alerts++;
      this.#out.push({ room: rooms.alerts, data: a });
    }
  }

  /** A trade: candles of its venue and symbol come from trades from now on. */
  offerTrade(tr: Trade): void {
    this.stats.trades++;
    this.watermark.observe(tr.exchTs);
    for (const b of this.candleBooks) if (b.offerTrade(tr) === "late" && b === this.candles) this.stats.late++;
  }

  /** Feed health: outages are marked on the candles they overlap. */
  offerFeed(f: FeedStatus): void {
    for (const b of this.candleBooks) b.feed(f.venue, f.state === "down", f.ts);
  }

  offerMarket(m: MarketSnapshot): void {
    this.markets.offer(m);
    if (m.marketCap !== null) this.pulse.setMarketCap(m.symbol, m.marketCap);
  }

  /** Update the latest state only (a warm start from the last tick per subject): no windows, no alerts. */
  warm(t: Tick, now: number): void {
    this.latest.offer(t, now);
  }

  #states(): SymbolState[] {
    const out: SymbolState[] = [];
    for (const s of this.latest.symbols()) out.push(symbolStateOf(this.latest.get(s)!.tick));
    return out;
  }

  moversNow(now: number): MoversData {
    return { ...rankMovers(this.#states(), this.#o.moversTopN), asOf: now };
  }

  topCoinsNow(now: number): TopCoinsData {
    return { coins: rankTopCoins(this.#states(), this.markets, this.#o.topCoinsN), asOf: now };
  }

  marketsNow(now: number): MarketsData {
    const coins = this.markets.list().map((m) => {
      const r: MarketsData["coins"][number] = { symbol: m.symbol, coin: m.coin, rank: m.rank, marketCap: m.marketCap, volume24h: m.volume24h };
      if (m.name) r.name = m.name;
      if (m.spark24h) r.spark = m.spark24h;
      return r;
    });
    return { coins, asOf: now };
  }

  /** Note that `room` was published with this payload at `now` (e.g. by a refresh). */
  published(room: "movers" | "topcoins", data: MoversData | TopCoinsData, now: number): void {
    const { asOf: _, ...rest } = data;
    (room === rooms.movers ? this.#movers : this.#topcoins).mark(now, JSON.stringify(rest));
  }

  /**
   * Time-driven outputs at `now`: closed windows and minutes, partial candles, and
   * (when `live`) movers and top coins if due. Then everything pending is returned.
   */
  poll(now: number, live: boolean): RoomOutput[] {
    const wm = this.watermark.value(live ? now : undefined);
    for (const p of this.pulse.advance(wm)) this.#out.push({ room: rooms.pulse, data: p });
    for (const b of this.candleBooks) for (const c of b.advance(wm)) this.#out.push({ room: rooms.candles(c.symbol, b.tf), data: c });
    if (live && this.#o.candlePartialMs > 0 && now - this.#lastPartialAt >= this.#o.candlePartialMs) {
      this.#lastPartialAt = now;
      for (const b of this.candleBooks) for (const c of b.partials()) this.#out.push({ room: rooms.candles(c.symbol, b.tf), data: c });
    }
    if (live) {
      const movers = this.moversNow(now);
      const mk = JSON.stringify({ gainers: movers.gainers, losers: movers.losers });
      if (this.#movers.due(now, mk)) {
        this.#movers.mark(now, mk);
        this.#out.push({ room: rooms.movers, data: movers });
      }
      const top = this.topCoinsNow(now);
      const tk = JSON.stringify({ coins: top.coins });
      if (this.#topcoins.due(now, tk)) {
        this.#topcoins.mark(now, tk);
        this.#out.push({ room: rooms.topcoins, data: top });
      }
      const mv = String(this.markets.version);
      if (this.markets.size > 0 && this.#markets.due(now, mv)) {
        this.#markets.mark(now, mv);
        this.#out.push({ room: rooms.markets, data: this.marketsNow(now) });
      }
    }
    return this.drain();
  }

  /** Pending outputs (alerts raised since the last call), oldest first. */
  drain(): RoomOutput[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
