/**
 * What CoinGecko says about each coin (room `markets`): name, rank, market cap and the
 * last 24 hourly prices, keyed by the base of a venue symbol (BTC for BTC-USD and
 * BTC-USDT). The grid reads it for the rank, name, market-cap and sparkline columns,
 * for the default sort (market cap) and for search by name.
 */
import type { MarketsData } from "../../../lib/contracts/protocol.ts";

export type CoinRow = MarketsData["coins"][number];

/** Base asset of a `BASE-QUOTE` symbol, upper-case ("btc-usdt" → "BTC"). */
export function baseOf(symbol: string): string {
  const i = symbol.indexOf("-");
  return (i < 0 ? symbol : symbol.slice(0, i)).toUpperCase();
}

const isNumOrNull = (v: unknown) => v === null || (typeof v === "number" && Number.isFinite(v));

/** True when a row has what the grid reads; malformed rows are skipped, not shown half. */
export function isCoinRow(v: unknown): v is CoinRow {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.symbol === "string" && typeof r.coin === "string" && isNumOrNull(r.rank) && isNumOrNull(r.marketCap)
    && (r.spark === undefined || (Array.isArray(r.spark) && r.spark.every((x) => typeof x === "number" && Number.isFinite(x))));
}

export class CoinDirectory {
  #bySymbol = new Map<string, CoinRow>();
  /** Rows skipped because they were malformed (counted, never thrown). */
  bad = 0;

  /** Replace the directory with a `markets` payload; returns false if it is not one. */
  apply(data: unknown): boolean {
    if (typeof data !== "object" || data === null || !Array.isArray((data as MarketsData).coins)) return false;
    const next = new Map<string, CoinRow>();
    for (const r of (data as MarketsData).coins) {
      if (!isCoinRow(r)) { this.bad++; continue; }
      const k = r.symbol.toUpperCase();
      if (!next.has(k)) next.set(k, r); // rank order: the first of a symbol is the best-ranked
    }
    this.#bySymbol = next;
    return true;
  }

  /** The coin of a venue symbol (`BTC-USDT` → Bitcoin), if CoinGecko lists it. */
  of(symbol: string): CoinRow | undefined {
    return this.#bySymbol.get(baseOf(symbol));
  }

  get size(): number {
    return this.#bySymbol.size;
  }
}

/**
 * SVG polyline points for a sparkline of `w`×`h` (1 px inset), or "" with fewer than
 * two prices. A flat series is drawn at mid-height.
 */
export function sparkPoints(prices: readonly number[] | undefined, w: number, h: number): string {
  if (!prices || prices.length < 2) return "";
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of prices) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  const span = hi - lo;
  const dx = (w - 2) / (prices.length - 1);
  let out = "";
  for (let i = 0; i < prices.length; i++) {
    const y = span > 0 ? 1 + (h - 2) * (1 - (prices[i]! - lo) / span) : h / 2;
    out += `${i ? " " : ""}${(1 + i * dx).toFixed(1)},${y.toFixed(1)}`;
  }
  return out;
}

/** Change over a sparkline in percent (last vs first), undefined without two prices. */
export function sparkChange(prices: readonly number[] | undefined): number | undefined {
  if (!prices || prices.length < 2 || !(prices[0]! > 0)) return undefined;
  return (prices[prices.length - 1]! / prices[0]! - 1) * 100;
}
