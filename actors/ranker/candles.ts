/**
 * OHLCV candles of one timeframe (1m, 5m, 15m, 1h, 1d: CANDLE_TIMEFRAMES) per symbol on
 * exchange time. The ranker keeps one book per timeframe, each fed the same input.
 *
 * - Trades (md.trade) are the source where the venue sends them: once a trade of a
 *   venue and symbol has been seen, that pair's ticks no longer count (`source:
 *   "trades"`). Otherwise (`source: "ticker"`):
 * - Every tick of a live venue counts as one trade at its price: open is the price of
 *   the earliest tick by exchTs, close of the latest (ties: arrival order), high/low
 *   the extremes, `trades` the number of ticks. Degraded (CoinGecko) prices are not
 *   trades and are left out.
 * - Volume: the tick's `lastSize` when the venue reports it; otherwise the increase of
 *   `volume24h` since the previous tick of the same venue and symbol, when positive
 *   (a rolling 24 h volume also falls as old trades leave its window, so decreases
 *   are ignored; the first tick of a venue and symbol adds nothing).
 * - A minute closes when the watermark passes its end (watermark.ts). Then every known
 *   symbol gets a final candle for it: from its ticks, or `empty: true` with null OHLC
 *   and zero volume when it had none. Nothing is invented. A symbol without trades for
 *   24 h is forgotten (no more empty candles).
 * - `partials()` gives in-progress candles (final: false) changed since the last call.
 * - Feed outages (md.feed `down` … `up`) are remembered per venue: a candle whose period
 *   overlaps one is marked `down: true`, so an empty candle there reads "no data", not
 *   "no trades".
 */
import type { CandleData } from "../../lib/contracts/protocol.ts";
import type { Tick, Trade } from "../../lib/contracts/messages.ts";
import { DEGRADED_VENUE } from "../coalescer/ticker.ts";
import { floorTo } from "./watermark.ts";

export const MINUTE = 60_000;
const FORGET_AFTER_MS = 24 * 3600_000;
/** At most this many periods are closed in one advance (a watermark jump after a long silence). */
const MAX_PERIODS_PER_ADVANCE = 1440;
/** Feed outages older than this are forgotten. */
const OUTAGE_MEMORY_MS = 2 * 86_400_000;

interface Open {
  c: CandleData;
  openTs: number;
  closeTs: number;
  changed: boolean;
}

export interface CandleBookOptions {
  closedUpTo?: number;
  /** Period length in ms (default one minute). */
  intervalMs?: number;
  /** Timeframe name put on every candle (default "1m"). */
  tf?: string;
}

export type CandleOffer = "ok" | "late" | "ignored";

export class CandleBook {
  /** Minutes starting before this are closed. */
  #closedUpTo: number;
  readonly #open = new Map<number, Map<string, Open>>();
  /** Known symbols → start of the minute of their last trade. */
  readonly #known = new Map<string, number>();
  /** Last final candle start published per symbol (from a rebuild): never re-emitted. */
  readonly #lastFinal = new Map<string, number>();
  /** Start of the first minute a symbol is known for: no empty candles before it. */
  readonly #first = new Map<string, number>();
  readonly #prevVolume = new Map<string, { v: number; ts: number }>();
  /** `venue|symbol` pairs that send trades: their ticks are not counted. */
  readonly #tradeFed = new Set<string>();
  /** Symbol → venue of its latest input (for feed outages). */
  readonly #venueOf = new Map<string, string>();
  /** Venue → outages [from, to) on exchange time; `to` is Infinity while down. */
  readonly #outages = new Map<string, [number, number][]>();
  readonly intervalMs: number;
  readonly tf: string;
  late = 0;

  constructor(o: CandleBookOptions = {}) {
    this.#closedUpTo = o.closedUpTo ?? -Infinity;
    this.intervalMs = o.intervalMs ?? MINUTE;
    this.tf = o.tf ?? "1m";
  }

  /** The venue's feed went down (`down: true`) or came back at `ts`. */
  feed(venue: string, down: boolean, ts: number): void {
    let l = this.#outages.get(venue);
    if (!l) this.#outages.set(venue, (l = []));
    const last = l.at(-1);
    if (down && !(last && last[1] === Infinity)) l.push([ts, Infinity]);
    else if (!down && last && last[1] === Infinity) last[1] = ts;
    while (l.length > 0 && l[0]![1] < ts - OUTAGE_MEMORY_MS) l.shift();
  }

  #wasDown(symbol: string, start: number): boolean {
    const venue = this.#venueOf.get(symbol);
    const l = venue === undefined ? undefined : this.#outages.get(venue);
    if (!l) return false;
    const end = start + this.intervalMs;
    return l.some(([a, b]) => a < end && b > start);
  }

  get closedUpTo(): number {
    return this.#closedUpTo;
  }

  /** Minutes before `t` are closed (not replayed, or already published). */
  closeBefore(t: number): void {
    const m = floorTo(t, this.intervalMs);
    if (m <= this.#closedUpTo) return;
    this.#closedUpTo = m;
    for (const start of [...this.#open.keys()]) if (start < m) this.#open.delete(start);
  }

  /** A symbol that had candles before a restart, with the start of its last final candle. */
  restore(symbol: string, lastFinalStart: number, lastTradeStart = lastFinalStart): void {
    this.#lastFinal.set(symbol, lastFinalStart);
    if (!this.#first.has(symbol)) this.#first.set(symbol, -Infinity);
    if ((this.#known.get(symbol) ?? -Infinity) < lastTradeStart) this.#known.set(symbol, lastTradeStart);
  }

  knownSymbols(): string[] {
    return [...this.#known.keys()].sort();
  }

  offer(t: Tick): CandleOffer {
    if (t.venue === DEGRADED_VENUE) return "ignored";
    if (this.#tradeFed.has(`${t.venue}|${t.symbol}`)) return "ignored";
    return this.#add(t.venue, t.symbol, t.price, this.#volumeOf(t), t.exchTs, "ticker");
  }

  /** A trade (md.trade): from now on the pair's ticks are ignored. */
  offerTrade(tr: Trade): CandleOffer {
    this.#tradeFed.add(`${tr.venue}|${tr.symbol}`);
    return this.#add(tr.venue, tr.symbol, tr.price, tr.size, tr.exchTs, "trades");
  }

  #add(venue: string, symbol: string, price: number, volume: number, ts: number, source: "trades" | "ticker"): CandleOffer {
    const start = floorTo(ts, this.intervalMs);
    if (start < this.#closedUpTo) {
      this.late++;
      return "late";
    }
    this.#venueOf.set(symbol, venue);
    if ((this.#known.get(symbol) ?? -Infinity) < start) this.#known.set(symbol, start);
    if (start < (this.#first.get(symbol) ?? Infinity)) this.#first.set(symbol, start);
    let m = this.#open.get(start);
    if (!m) this.#open.set(start, (m = new Map()));
    const o = m.get(symbol);
    if (!o) {
      m.set(symbol, {
        c: { symbol, start, open: price, high: price, low: price, close: price, volume, trades: 1, empty: false, final: false, tf: this.tf, source },
        openTs: ts,
        closeTs: ts,
        changed: true,
      });
      return "ok";
    }
    const c = o.c;
    if (source === "trades") c.source = "trades";
    if (ts < o.openTs) {
      c.open = price;
      o.openTs = ts;
    }
    if (ts >= o.closeTs) {
      c.close = price;
      o.closeTs = ts;
    }
    if (price > c.high!) c.high = price;
    if (price < c.low!) c.low = price;
    c.volume = roundVol(c.volume + volume);
    c.trades++;
    o.changed = true;
    return "ok";
  }

  /** Close every period with end ≤ watermark: final candles (empty ones included), by period then symbol. */
  advance(watermark: number): CandleData[] {
    const iv = this.intervalMs;
    const upTo = floorTo(watermark, iv); // periods starting before this close
    if (!(upTo > this.#closedUpTo)) return [];
    const out: CandleData[] = [];
    let from = Number.isFinite(this.#closedUpTo) ? this.#closedUpTo : Math.min(upTo, ...this.#open.keys());
    if ((upTo - from) / iv > MAX_PERIODS_PER_ADVANCE) from = upTo - MAX_PERIODS_PER_ADVANCE * iv;
    const forgetAfter = Math.max(FORGET_AFTER_MS, 2 * iv);
    for (let start = from; start < upTo; start += iv) {
      const m = this.#open.get(start);
      this.#open.delete(start);
      for (const symbol of this.knownSymbols()) {
        const lastTrade = this.#known.get(symbol)!;
        if (start - lastTrade > forgetAfter) {
          this.#known.delete(symbol);
          this.#first.delete(symbol);
          continue;
        }
        if (start < this.#first.get(symbol)!) continue;
        if (start <= (this.#lastFinal.get(symbol) ?? -Infinity)) continue;
        const o = m?.get(symbol);
        const c: CandleData = o ? { ...o.c, final: true } : emptyCandle(symbol, start, this.tf);
        if (this.#wasDown(symbol, start)) c.down = true;
        out.push(c);
      }
    }
    for (const start of [...this.#open.keys()]) if (start < upTo) this.#open.delete(start);
    this.#closedUpTo = upTo;
    return out;
  }

  /** In-progress candles changed since the last call (final: false). */
  partials(): CandleData[] {
    const out: CandleData[] = [];
    for (const start of [...this.#open.keys()].sort((a, b) => a - b)) {
      for (const o of this.#open.get(start)!.values()) {
        if (!o.changed) continue;
        o.changed = false;
        out.push(this.#wasDown(o.c.symbol, start) ? { ...o.c, down: true } : { ...o.c });
      }
    }
    return out;
  }

  #volumeOf(t: Tick): number {
    const key = `${t.venue}|${t.symbol}`;
    const prev = this.#prevVolume.get(key);
    // An out-of-order tick neither moves the reference volume nor adds a delta.
    const inOrder = !prev || t.exchTs >= prev.ts;
    if (t.volume24h !== undefined && inOrder) this.#prevVolume.set(key, { v: t.volume24h, ts: t.exchTs });
    if (t.lastSize !== undefined) return t.lastSize > 0 ? t.lastSize : 0;
    if (t.volume24h === undefined || !prev || !inOrder) return 0;
    const d = t.volume24h - prev.v;
    return d > 0 ? d : 0;
  }
}

const roundVol = (x: number) => Math.round(x * 1e8) / 1e8;

export function emptyCandle(symbol: string, start: number, tf = "1m"): CandleData {
  return { symbol, start, open: null, high: null, low: null, close: null, volume: 0, trades: 0, empty: true, final: true, tf };
}
