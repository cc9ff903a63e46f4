/**
 * 1-minute OHLCV candles per symbol on exchange time.
 *
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
 */
import type { CandleData } from "../../edge/protocol.ts";
import type { Tick } from "../bus/mod.ts";
import { DEGRADED_VENUE } from "../coalescer/ticker.ts";
import { floorTo } from "./watermark.ts";

export const MINUTE = 60_000;
const FORGET_AFTER_MS = 24 * 3600_000;
/** At most this many minutes are closed in one advance (a watermark jump after a long silence). */
const MAX_MINUTES_PER_ADVANCE = 1440;

interface Open {
  c: CandleData;
  openTs: number;
  closeTs: number;
  changed: boolean;
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
  late = 0;

  constructor(o: { closedUpTo?: number } = {}) {
    this.#closedUpTo = o.closedUpTo ?? -Infinity;
  }

  get closedUpTo(): number {
    return this.#closedUpTo;
  }

  /** Minutes before `t` are closed (not replayed, or already published). */
  closeBefore(t: number): void {
    const m = floorTo(t, MINUTE);
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
    const volume = this.#volumeOf(t);
    const start = floorTo(t.exchTs, MINUTE);
    if (start < this.#closedUpTo) {
      this.late++;
      return "late";
    }
    if ((this.#known.get(t.symbol) ?? -Infinity) < start) this.#known.set(t.symbol, start);
    if (start < (this.#first.get(t.symbol) ?? Infinity)) this.#first.set(t.symbol, start);
    let m = this.#open.get(start);
    if (!m) this.#open.set(start, (m = new Map()));
    const o = m.get(t.symbol);
    if (!o) {
      m.set(t.symbol, {
        c: { symbol: t.symbol, start, open: t.price, high: t.price, low: t.price, close: t.price, volume, trades: 1, empty: false, final: false },
        openTs: t.exchTs,
        closeTs: t.exchTs,
        changed: true,
      });
      return "ok";
    }
    const c = o.c;
    if (t.exchTs < o.openTs) {
      c.open = t.price;
      o.openTs = t.exchTs;
    }
    if (t.exchTs >= o.closeTs) {
      c.close = t.price;
      o.closeTs = t.exchTs;
    }
    if (t.price > c.high!) c.high = t.price;
    if (t.price < c.low!) c.low = t.price;
    c.volume = roundVol(c.volume + volume);
    c.trades++;
    o.changed = true;
    return "ok";
  }

  /** Close every minute with end ≤ watermark: final candles (empty ones included), by minute then symbol. */
  advance(watermark: number): CandleData[] {
    const upTo = floorTo(watermark, MINUTE); // minutes starting before this close
    if (!(upTo > this.#closedUpTo)) return [];
    const out: CandleData[] = [];
    let from = Number.isFinite(this.#closedUpTo) ? this.#closedUpTo : Math.min(upTo, ...this.#open.keys());
    if ((upTo - from) / MINUTE > MAX_MINUTES_PER_ADVANCE) from = upTo - MAX_MINUTES_PER_ADVANCE * MINUTE;
    for (let start = from; start < upTo; start += MINUTE) {
      const m = this.#open.get(start);
      this.#open.delete(start);
      for (const symbol of this.knownSymbols()) {
        const lastTrade = this.#known.get(symbol)!;
        if (start - lastTrade > FORGET_AFTER_MS) {
          this.#known.delete(symbol);
          this.#first.delete(symbol);
          continue;
        }
        if (start < this.#first.get(symbol)!) continue;
        if (start <= (this.#lastFinal.get(symbol) ?? -Infinity)) continue;
        const o = m?.get(symbol);
        out.push(o ? { ...o.c, final: true } : emptyCandle(symbol, start));
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
        out.push({ ...o.c });
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

export function emptyCandle(symbol: string, start: number): CandleData {
  return { symbol, start, open: null, high: null, low: null, close: null, volume: 0, trades: 0, empty: true, final: true };
}
