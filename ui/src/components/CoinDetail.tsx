/**
 * One coin: live quote, a candlestick chart with a timeframe switch (history from the
 * `history` op, then the live `candles.<SYM>.<tf>` room; the forming candle updates in
 * place), and the latest candles as a table. Holds `ticker.<SYM>` and the candle room
 * while shown.
 */
import { For, Show, createEffect, createMemo, createSignal, onCleanup } from "solid-js";
import { rooms } from "../../../lib/contracts/subjects.ts";
import type { CandleHandle } from "../state/dashboard.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import CandleChart from "./CandleChart.tsx";
import BookPanel from "./BookPanel.tsx";
import CandleTable from "./CandleTable.tsx";
import TradesList from "./TradesList.tsx";
import QuoteStats from "./QuoteStats.tsx";
import WatchStar from "./WatchStar.tsx";

const TFS = ["1m", "5m", "15m", "1h", "1d"] as const;
const TF_KEY = "tickflow.tf";
const savedTf = () => {
  try {
    const v = localStorage.getItem(TF_KEY);
    return (TFS as readonly string[]).includes(v ?? "") ? v! : "1m";
  } catch {
    return "1m";
  }
};

export default function CoinDetail(props: { symbol: string }) {
  const [tf, setTf] = createSignal(savedTf());
  const [handle, setHandle] = createSignal<CandleHandle>();
  const [version, setVersion] = createSignal(0);

  createEffect(() => {
    const releaseTicker = app.use([rooms.ticker(props.symbol)]);
    onCleanup(releaseTicker);
  });
  createEffect(() => {
    const h = app.useCandles(props.symbol, tf());
    setHandle(h);
    createEffect(() => setVersion(h.version()));
    onCleanup(() => h.release());
  });

  const choose = (t: string) => {
    setTf(t);
    try { localStorage.setItem(TF_KEY, t); } catch { /* ignore */ }
  };

  const latest = createMemo(() => {
    version();
    return (handle()?.series.list() ?? []).slice(-12).reverse();
  });

  return (
    <section class="panel coin" aria-labelledby="coin-title" classList={{ stale: app.stale() }}>
      <div class="coin-head">
        <h2 id="coin-title">{props.symbol}</h2>
        <WatchStar symbol={props.symbol} />
        <QuoteStats symbol={props.symbol} />
      </div>
      <div class="chart-toolbar">
        <div class="tf-switch" role="group" aria-label="Timeframe">
          <For each={TFS}>
            {(t) => <button type="button" class="btn ghost small" aria-pressed={tf() === t} onClick={() => choose(t)}>{t}</button>}
          </For>
        </div>
        <span class="muted small" data-testid="candle-count">{fmt.integer((version(), handle()?.series.size ?? 0))} candles</span>
      </div>
      <Show when={handle()}>
        {(h) => <CandleChart symbol={props.symbol} tf={tf()} series={h().series} version={version()} onNeedOlder={() => h().loadOlder()} />}
      </Show>
      <div class="coin-grid">
        <div>
          <h3>Latest {tf()} candles</h3>
          <CandleTable candles={latest()} tf={tf()} />
        </div>
        <div class="coin-side">
          <BookPanel symbol={props.symbol} />
          <TradesList symbol={props.symbol} />
        </div>
      </div>
    </section>
  );
}
