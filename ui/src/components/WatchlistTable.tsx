/** Watched symbols with their live price and 24 h change. */
import { For, Show, createMemo } from "solid-js";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import WatchStar from "./WatchStar.tsx";

function WatchRow(props: { symbol: string }) {
  const q = () => {
    app.live.version(props.symbol);
    return app.market.quotes.get(props.symbol);
  };
  const ch = () => q()?.change24hPct ?? 0;
  return (
    <tr data-symbol={props.symbol}>
      <td><WatchStar symbol={props.symbol} /></td>
      <td><a href={`#/coin/${encodeURIComponent(props.symbol)}`}>{props.symbol}</a></td>
      <td class="num">{fmt.price(q()?.price)}</td>
      <td class="num" classList={{ up: ch() > 0, down: ch() < 0 }}>{fmt.pct(q()?.change24hPct)}</td>
      <td class="num hide-sm">{fmt.compact(q()?.volume24h)}</td>
    </tr>
  );
}

export default function WatchlistTable() {
  const list = createMemo(() => [...app.watchlist()].sort());
  return (
    <section class="panel" aria-labelledby="watch-title" classList={{ stale: app.stale() }}>
      <h2 id="watch-title">Watchlist</h2>
      <Show when={list().length} fallback={<p class="muted">Star a symbol in the Markets grid (or press W on a row) to watch it.</p>}>
        <table class="table" data-testid="watchlist">
          <thead><tr><th scope="col"><span class="sr-only">Watch</span></th><th scope="col">Symbol</th><th scope="col" class="num">Price</th>
            <th scope="col" class="num">24h</th><th scope="col" class="num hide-sm">Volume</th></tr></thead>
          <tbody><For each={list()}>{(s) => <WatchRow symbol={s} />}</For></tbody>
        </table>
      </Show>
    </section>
  );
}
