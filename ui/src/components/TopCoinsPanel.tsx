/** Top coins (room `topcoins`) in market-cap rank order (CoinGecko rank; unranked last, by volume). */
import { Index, Show, createMemo } from "solid-js";
import { rooms } from "../../../lib/contracts/subjects.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import { useRooms } from "../state/use-rooms.ts";

export default function TopCoinsPanel() {
  useRooms(rooms.topcoins);
  const ranked = createMemo(() => [...(app.topcoins()?.coins ?? [])].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || b.volume24h - a.volume24h));
  return (
    <section class="panel" aria-labelledby="top-title" classList={{ stale: app.stale() }}>
      <h2 id="top-title">Top coins</h2>
      <Show when={app.topcoins()?.coins.length} fallback={<p class="muted">Waiting for data…</p>}>
        <div class="scroll-x">
          <table class="table">
            <thead>
              <tr><th scope="col" class="num">Rank</th><th scope="col">Symbol</th><th scope="col" class="num">Price</th>
                <th scope="col" class="num">24h</th><th scope="col" class="num">Mkt cap</th><th scope="col" class="num hide-sm">Volume</th></tr>
            </thead>
            <tbody>
              <Index each={ranked()}>
                {(c) => (
                  <tr>
                    <td class="num muted">{c().rank ?? "—"}</td>
                    <td><a href={`#/coin/${encodeURIComponent(c().symbol)}`}>{c().symbol}</a>
                      {c().venue ? <span class="small muted hide-sm"> {c().venue}</span> : null}</td>
                    <td class="num">{fmt.price(c().price)}</td>
                    <td class="num" classList={{ up: (c().change24hPct ?? 0) > 0, down: (c().change24hPct ?? 0) < 0 }}>{fmt.pct(c().change24hPct)}</td>
                    <td class="num">{fmt.usdCompact(c().marketCap)}</td>
                    <td class="num hide-sm">{fmt.usdCompact(c().volume24h)}</td>
                  </tr>
                )}
              </Index>
            </tbody>
          </table>
        </div>
      </Show>
    </section>
  );
}
