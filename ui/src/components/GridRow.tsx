/** One price-grid row; re-renders only when its symbol's quote version (or the coin directory) changes. */
import * as fmt from "../core/format.ts";
import { flashClass } from "../core/market.ts";
import { app } from "../state/app.ts";
import Sparkline from "./Sparkline.tsx";
import WatchStar from "./WatchStar.tsx";

export const ROW_HEIGHT = 36;

export default function GridRow(props: { symbol: string; index: number; active: boolean }) {
  const q = () => {
    app.live.version(props.symbol);
    return app.market.quotes.get(props.symbol);
  };
  const coin = () => {
    app.coinsVersion();
    return app.coins.of(props.symbol);
  };
  // Flash only for price changes seen while this row shows this symbol; re-checked
  // every render tick so the tint fades even when no new tick comes.
  let shown = "";
  let baseline = 0;
  const flash = () => {
    app.live.tick();
    if (app.stale()) return ""; // no flashes on prices that are not live
    const x = q();
    if (x && props.symbol !== shown) {
      shown = props.symbol;
      baseline = x.flashes;
    }
    return flashClass(x, baseline, Date.now());
  };
  const change = () => q()?.change24hPct;
  return (
    <div
      role="row"
      id={`row-${props.symbol}`}
      class="grid-row"
      classList={{ active: props.active }}
      aria-rowindex={props.index + 2}
      aria-selected={props.active}
      style={{ transform: `translateY(${props.index * ROW_HEIGHT}px)` }}
      data-symbol={props.symbol}
    >
      <span role="gridcell" class="c-star"><WatchStar symbol={props.symbol} tabIndex={-1} /></span>
      <span role="gridcell" class="c-rank muted">{coin()?.rank ?? "—"}</span>
      <span role="rowheader" class="c-sym">
        <a href={`#/coin/${encodeURIComponent(props.symbol)}`} tabIndex={-1}>{props.symbol}</a>
        {coin()?.name ? <span class="name">{coin()!.name}</span> : null}
        <span class="sub" aria-hidden="true">{q()?.degraded ? "fallback" : q()?.venue}</span>
      </span>
      <span role="gridcell" class="c-venue">
        {q()?.degraded ? <span class="tag" title="fallback price source">fallback</span> : q()?.venue}
      </span>
      <span role="gridcell" class={`c-num c-price ${flash()}`}>{fmt.usdPrice(q()?.price)}</span>
      <span role="gridcell" class="c-num c-chg" classList={{ up: (change() ?? 0) > 0, down: (change() ?? 0) < 0 }}>{fmt.pct(change())}</span>
      <span role="gridcell" class="c-spark"><Sparkline prices={coin()?.spark} /></span>
      <span role="gridcell" class="c-num c-mcap">{fmt.usdCompact(coin()?.marketCap)}</span>
      <span role="gridcell" class="c-num c-vol">{usdVolume(q()?.volume24h, q()?.price)}</span>
      <span role="gridcell" class="c-num c-hi">{fmt.usdPrice(q()?.high24h)}</span>
      <span role="gridcell" class="c-num c-lo">{fmt.usdPrice(q()?.low24h)}</span>
    </div>
  );
}

/** 24 h volume in USD (base volume × price), compact ("$1.2B"). */
function usdVolume(base: number | undefined, price: number | undefined): string {
  return base === undefined || price === undefined ? "—" : fmt.usdCompact(base * price);
}
