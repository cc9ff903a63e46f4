/**
 * Market pulse rows with what changed since the window before: the average price's
 * move between the two windows, and the trend and volatility labels the coin had then
 * (only when they differ). Sortable by any column; the default puts the biggest moves
 * first, so a reader sees what happened in the last 30 s without scanning 500 rows.
 */
import type { PulseData } from "../../../lib/contracts/protocol.ts";

type Row = PulseData["coins"][number];

export interface PulseView extends Row {
  /** Percent move of the average price since the previous window; undefined for a coin new in this one. */
  movePct: number | undefined;
  /** The previous window's trend, when it was different. */
  trendBefore: Row["trend"] | undefined;
  volatilityBefore: Row["volatility"] | undefined;
}

export type PulseSortKey = "symbol" | "avgPrice" | "change" | "move" | "volatility" | "trend" | "marketCap";

/** Rows of `cur` joined with `prev` by coin (`prev` must be the window just before, or it is ignored). */
export function pulseView(cur: PulseData | undefined, prev: PulseData | undefined): PulseView[] {
  if (!cur) return [];
  const before = new Map<string, Row>();
  if (prev && prev.windowEnd <= cur.windowStart) for (const r of prev.coins) before.set(r.symbol, r);
  return cur.coins.map((r) => {
    const b = before.get(r.symbol);
    return {
      ...r,
      movePct: b && b.avgPrice > 0 ? (r.avgPrice / b.avgPrice - 1) * 100 : undefined,
      trendBefore: b && b.trend !== r.trend ? b.trend : undefined,
      volatilityBefore: b && b.volatility !== r.volatility ? b.volatility : undefined,
    };
  });
}

// Ordinal scales: volatility from calm to extreme, trend from crashing to surging (the
// labels of lib/contracts/protocol.ts, repeated: importing its values would bundle zod).
const VOL_ORDER = new Map<string, number>(["Stable", "Moving", "Volatile", "High Volatility", "Extreme"].map((v, i) => [v, i]));
const TREND_ORDER = new Map<string, number>(["Crashing", "Falling", "Stable", "Rising", "Surging"].map((t, i) => [t, i]));

function value(r: PulseView, key: PulseSortKey): number {
  switch (key) {
    case "avgPrice": return r.avgPrice;
    case "change": return r.avgChange24hPct;
    case "move": return r.movePct === undefined ? NaN : Math.abs(r.movePct);
    case "volatility": return VOL_ORDER.get(r.volatility) ?? NaN;
    case "trend": return TREND_ORDER.get(r.trend) ?? NaN;
    case "marketCap": return r.marketCap ?? NaN;
    default: return NaN;
  }
}

/** A sorted copy; missing values last in both directions, ties by symbol. `move` sorts by the size of the move. */
export function sortPulse(rows: readonly PulseView[], key: PulseSortKey, dir: "asc" | "desc"): PulseView[] {
  const sign = dir === "asc" ? 1 : -1;
  const bySym = (a: PulseView, b: PulseView) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
  if (key === "symbol") return [...rows].sort((a, b) => sign * bySym(a, b));
  return [...rows].sort((a, b) => {
    const va = value(a, key);
    const vb = value(b, key);
    if (Number.isNaN(va)) return Number.isNaN(vb) ? bySym(a, b) : 1;
    if (Number.isNaN(vb)) return -1;
    return va === vb ? bySym(a, b) : sign * (va - vb);
  });
}
