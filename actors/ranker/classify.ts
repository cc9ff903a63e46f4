/**
 * Volatility and trend labels from a 24 h change in percent. Boundaries (a value on a
 * boundary goes to the stronger label, and trend mirrors volatility):
 *
 *   volatility by |c|:  Stable < 2 ≤ Moving < 5 ≤ Volatile < 10 ≤ High Volatility < 20 ≤ Extreme
 *   trend by c:         Crashing ≤ −5 < Falling ≤ −2 < Stable < +2 ≤ Rising < +5 ≤ Surging
 *
 * So c = +2 is Moving and Rising, c = −5 is Volatile and Crashing, c = +1.99 is Stable twice.
 */
import type { Trend, Volatility } from "../../lib/contracts/protocol.ts";

export type VolatilityLabel = (typeof Volatility)[number];
export type TrendLabel = (typeof Trend)[number];

/** Throws RangeError for a non-finite input (a label for NaN would be a guess). */
export function volatilityOf(changePct: number): VolatilityLabel {
  if (!Number.isFinite(changePct)) throw new RangeError(`volatilityOf: expected a finite percentage, got ${changePct}`);
  const a = Math.abs(changePct);
  if (a < 2) return "Stable";
  if (a < 5) return "Moving";
  if (a < 10) return "Volatile";
  if (a < 20) return "High Volatility";
  return "Extreme";
}

/** Throws RangeError for a non-finite input. */
export function trendOf(changePct: number): TrendLabel {
  if (!Number.isFinite(changePct)) throw new RangeError(`trendOf: expected a finite percentage, got ${changePct}`);
  if (changePct >= 5) return "Surging";
  if (changePct >= 2) return "Rising";
  if (changePct > -2) return "Stable";
  if (changePct > -5) return "Falling";
  return "Crashing";
}
