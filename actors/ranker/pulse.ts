/**
 * Market pulse: 30-second tumbling windows per coin on exchange time.
 *
 * Per coin (the base of a symbol, e.g. BTC) and window [start, start + 30 s):
 * average tick price, average 24 h change of the ticks that carry one (open24h), max
 * 24 h volume, the latest CoinGecko market cap, and the volatility and trend labels of
 * the average change (classify.ts). A coin without any 24 h change in the window is
 * left out rather than labelled from nothing.
 *
 * Windows close by the watermark (watermark.ts): `advance(w)` closes every window
 * with end ≤ w, oldest first, and returns one PulseData per closed window that had
 * ticks. A tick for a closed window is late: dropped, reported as "late".
 */
import type { PulseData } from "../../lib/contracts/protocol.ts";
import type { Tick } from "../../lib/contracts/messages.ts";
import { change24hPct } from "../coalescer/ticker.ts";
import { trendOf, volatilityOf } from "./classify.ts";
import { baseOf } from "./movers.ts";
import { floorTo } from "./watermark.ts";

interface Agg {
  sumPrice: number;
  n: number;
  sumChange: number;
  nChange: number;
  maxVolume: number;
}

export type Offer = "ok" | "late";

type PulseRow = PulseData["coins"][number];

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

export class PulseWindows {
  readonly windowMs: number;
  /** Windows with start < closedUpTo are closed. */
  #closedUpTo: number;
  readonly #open = new Map<number, Map<string, Agg>>();
  readonly #marketCap = new Map<string, number | null>();
  late = 0;

  /** @param closedUpTo windows ending at or before this are treated as closed (default: none). */
  constructor(o: { windowMs?: number; closedUpTo?: number } = {}) {
    this.windowMs = o.windowMs ?? 30_000;
    if (!Number.isInteger(this.windowMs) || this.windowMs <= 0) throw new RangeError(`windowMs must be a positive integer, got ${this.windowMs}`);
    this.#closedUpTo = o.closedUpTo ?? -Infinity;
  }

  get closedUpTo(): number {
    return this.#closedUpTo;
  }

  /** Treat every window before `t` as closed (after a restart: already published, or not replayed). */
  closeBefore(t: number): void {
    if (t <= this.#closedUpTo) return;
    this.#closedUpTo = t;
    for (const start of [...this.#open.keys()]) if (start < t) this.#open.delete(start);
  }

  setMarketCap(coin: string, cap: number | null): void {
    this.#marketCap.set(coin.toUpperCase(), cap);
  }

  offer(t: Tick): Offer {
    const start = floorTo(t.exchTs, this.windowMs);
    if (start < this.#closedUpTo) {
      this.late++;
      return "late";
    }
    let w = this.#open.get(start);
    if (!w) this.#open.set(start, (w = new Map()));
    const coin = baseOf(t.symbol);
    let a = w.get(coin);
    if (!a) w.set(coin, (a = { sumPrice: 0, n: 0, sumChange: 0, nChange: 0, maxVolume: 0 }));
    a.sumPrice += t.price;
    a.n++;
    const ch = change24hPct(t.price, t.open24h);
    if (ch !== undefined) {
      a.sumChange += ch;
      a.nChange++;
    }
    if (t.volume24h !== undefined && t.volume24h > a.maxVolume) a.maxVolume = t.volume24h;
    return "ok";
  }

  /** Close every window whose end ≤ watermark; one PulseData per closed window with rows, oldest first. */
  advance(watermark: number): PulseData[] {
    const out: PulseData[] = [];
    const starts = [...this.#open.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      const end = start + this.windowMs;
      if (end > watermark) break;
      const coins = this.#rows(this.#open.get(start)!);
      this.#open.delete(start);
      if (coins.length > 0) out.push({ windowStart: start, windowEnd: end, coins });
    }
    const closed = floorTo(watermark, this.windowMs);
    if (closed > this.#closedUpTo) this.#closedUpTo = closed;
    return out;
  }

  #rows(w: Map<string, Agg>): PulseRow[] {
    const rows: PulseRow[] = [];
    for (const [coin, a] of w) {
      if (a.nChange === 0) continue;
      const avgChange = round(a.sumChange / a.nChange, 4);
      rows.push({
        symbol: coin,
        avgPrice: round(a.sumPrice / a.n, 8),
        avgChange24hPct: avgChange,
        maxVolume24h: a.maxVolume,
        marketCap: this.#marketCap.get(coin) ?? null,
        volatility: volatilityOf(avgChange),
        trend: trendOf(avgChange),
        ticks: a.n,
      });
    }
    return rows.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }
}
