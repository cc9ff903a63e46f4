/**
 * One coin: live quote, a live chart of 1-minute candles plus ticks, and the latest
 * candles. Holds `ticker.<SYM>` and `candles.<SYM>.1m` (replayed from 0) while shown.
 */
import { Show, createEffect, createMemo, createSignal, onCleanup } from "solid-js";
import { rooms } from "../../../actors/bus/subjects.ts";
import type { CandleSeries } from "../core/candles.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import CandleTable from "./CandleTable.tsx";
import PriceChart from "./PriceChart.tsx";
import QuoteStats from "./QuoteStats.tsx";
import WatchStar from "./WatchStar.tsx";

export default function CoinDetail(props: { symbol: string }) {
  const [series, setSeries] = createSignal<CandleSeries>();
  const [version, setVersion] = createSignal(0);

  createEffect(() => {
    const sym = props.symbol;
    const releaseTicker = app.use([rooms.ticker(sym)]);
    const h = app.useCandles(sym);
    setSeries(h.series);
    createEffect(() => setVersion(h.version()));
    onCleanup(() => {
      releaseTicker();
      h.release();
    });
  });

  const latest = createMemo(() => {
    version();
    return (series()?.list() ?? []).slice(-12).reverse();
  });

  return (
    <section class="panel coin" aria-labelledby="coin-title" classList={{ stale: app.stale() }}>
      <div class="coin-head">
        <h2 id="coin-title">{props.symbol}</h2>
        <WatchStar symbol={props.symbol} />
        <QuoteStats symbol={props.symbol} />
      </div>
      <Show when={series()}>
        {(s) => <PriceChart symbol={props.symbol} series={s()} version={version()} />}
      </Show>
      <h3>1-minute candles <span class="muted small">{fmt.integer((version(), series()?.size ?? 0))} in history</span></h3>
      <CandleTable candles={latest()} />
    </section>
  );
}
