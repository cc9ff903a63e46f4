/** A 24 h sparkline: one SVG polyline (no chart library), coloured by the change over it. */
import { sparkChange, sparkPoints } from "../core/coins.ts";
import * as fmt from "../core/format.ts";

export const SPARK_W = 80;
export const SPARK_H = 22;

export default function Sparkline(props: { prices: readonly number[] | undefined }) {
  const points = () => sparkPoints(props.prices, SPARK_W, SPARK_H);
  const change = () => sparkChange(props.prices);
  return (
    <svg
      class="spark"
      classList={{ up: (change() ?? 0) > 0, down: (change() ?? 0) < 0 }}
      width={SPARK_W}
      height={SPARK_H}
      viewBox={`0 0 ${SPARK_W} ${SPARK_H}`}
      role="img"
      aria-label={change() === undefined ? "no 24 h prices" : `24 h trend ${fmt.pct(change())}`}
    >
      {points() ? <polyline points={points()} fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" /> : null}
    </svg>
  );
}
