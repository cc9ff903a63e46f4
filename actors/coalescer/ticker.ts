/**
 * The latest tick per symbol and its `ticker.<SYMBOL>` payload. Pure logic: no clock
 * of its own, no network; the caller passes the receive time.
 *
 * Which tick is "latest" (see README):
 * - ticks of the same venue must not go back in exchange time: an older tick (a
 *   redelivery or replay) is ignored, and so is the same tick seen twice;
 * - ticks of different venues replace each other in arrival order;
 * - a degraded fallback tick (venue `coingecko`) replaces a live venue's tick only when
 *   that tick is older than `degradedAfterMs`, so the fallback shows only while the
 *   live feed is silent.
 */
import type { Tick } from "../../lib/contracts/messages.ts";
import type { TickerData } from "../../lib/contracts/protocol.ts";

/** Venue name of the CoinGecko fallback ticks (marked `degraded: true`). */
export const DEGRADED_VENUE = "coingecko";

/** Percent change from open24h, rounded to 4 decimals; undefined when open24h is missing or not positive. */
export function change24hPct(price: number, open24h: number | undefined): number | undefined {
  if (open24h === undefined || !(open24h > 0)) return undefined;
  return Math.round(((price - open24h) / open24h) * 100 * 1e4) / 1e4;
}

/** The `ticker.<SYMBOL>` payload of a tick (fields absent from the tick are left out). */
export function tickerData(t: Tick): TickerData {
  const d: TickerData = { symbol: t.symbol, venue: t.venue, price: t.price, exchTs: t.exchTs };
  if (t.bid !== undefined) d.bid = t.bid;
  if (t.ask !== undefined) d.ask = t.ask;
  if (t.open24h !== undefined) d.open24h = t.open24h;
  if (t.high24h !== undefined) d.high24h = t.high24h;
  if (t.low24h !== undefined) d.low24h = t.low24h;
  if (t.volume24h !== undefined) d.volume24h = t.volume24h;
  const ch = change24hPct(t.price, t.open24h);
  if (ch !== undefined) d.change24hPct = ch;
  if (t.venue === DEGRADED_VENUE) d.degraded = true;
  return d;
}

export interface LatestEntry {
  tick: Tick;
  /** Local receive time of the tick (caller's clock). */
  at: number;
}

/** Whether `next` should replace `cur` as the latest tick of its symbol. */
export function supersedes(cur: LatestEntry | undefined, next: Tick, now: number, degradedAfterMs: number): boolean {
  if (!cur) return true;
  const c = cur.tick;
  if (next.venue === DEGRADED_VENUE && c.venue !== DEGRADED_VENUE && now - cur.at < degradedAfterMs) return false;
  if (c.venue === next.venue) {
    if (next.exchTs < c.exchTs) return false;
    if (next.exchTs === c.exchTs && next.seq === c.seq) return false;
  }
  return true;
}

/** Latest tick per symbol with a set of symbols changed since they were last taken. */
export class LatestTicks {
  readonly #latest = new Map<string, LatestEntry>();
  readonly #dirty = new Set<string>();

  /** @param degradedAfterMs how long a live tick keeps a degraded one out; default 15000 ms. */
  constructor(readonly degradedAfterMs = 15_000) {}

  /** Offer a tick; true if it became the latest of its symbol (the symbol is then dirty). */
  offer(t: Tick, now: number): boolean {
    if (!supersedes(this.#latest.get(t.symbol), t, now, this.degradedAfterMs)) return false;
    this.#latest.set(t.symbol, { tick: t, at: now });
    this.#dirty.add(t.symbol);
    return true;
  }

  get(symbol: string): LatestEntry | undefined {
    return this.#latest.get(symbol);
  }

  markDirty(symbol: string): void {
    if (this.#latest.has(symbol)) this.#dirty.add(symbol);
  }

  clean(symbol: string): void {
    this.#dirty.delete(symbol);
  }

  isDirty(symbol: string): boolean {
    return this.#dirty.has(symbol);
  }

  /** Forget a symbol entirely (its partition moved away). */
  forget(symbol: string): void {
    this.#latest.delete(symbol);
    this.#dirty.delete(symbol);
  }

  dirty(): IterableIterator<string> {
    return this.#dirty.values();
  }

  symbols(): IterableIterator<string> {
    return this.#latest.keys();
  }

  get size(): number {
    return this.#latest.size;
  }
}

/** Whether a room message's data shows this ticker already (same symbol, venue, exchange time and price). */
export const sameTicker = (room: unknown, d: TickerData): boolean => {
  const r = room as Partial<TickerData> | undefined;
  return !!r && r.symbol === d.symbol && r.venue === d.venue && r.exchTs === d.exchTs && r.price === d.price;
};
