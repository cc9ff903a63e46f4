/**
 * A short list of coins with price and 24 h change (gainers or losers): one row per coin
 * (its first, i.e. strongest, market), the other venues' symbols named under it, so a
 * coin listed on two venues does not take two rows.
 */
import { Index, Show, createMemo } from "solid-js";
import type { MoversData } from "../../../lib/contracts/protocol.ts";
import * as fmt from "../core/format.ts";
import { perCoin } from "../core/movers.ts";

export default function MoverList(props: { title: string; rows: MoversData["gainers"] | undefined; tone: "up" | "down" }) {
  const rows = createMemo(() => perCoin(props.rows));
  return (
    <div class="mover-list">
      <h3>{props.title}</h3>
      <Show when={props.rows?.length} fallback={<p class="muted">Waiting for data…</p>}>
        <table class="table compact">
          <thead><tr><th scope="col">Symbol</th><th scope="col" class="num">Price</th><th scope="col" class="num">24h</th></tr></thead>
          <tbody>
            <Index each={rows()}>
              {(r) => (
                <tr>
                  <td><a href={`#/coin/${encodeURIComponent(r().symbol)}`}>{r().symbol}</a>
                    {r().venue ? <span class="small muted sub-line">{r().venue}</span> : null}
                    {r().also.length ? <span class="small muted" title={`also ${r().also.join(", ")}`}> +{r().also.length}<span class="sr-only"> also {r().also.join(", ")}</span></span> : null}</td>
                  <td class="num">{fmt.price(r().price)}</td>
                  <td class={`num ${props.tone}`}>{fmt.pct(r().change24hPct)}</td>
                </tr>
              )}
            </Index>
          </tbody>
        </table>
      </Show>
    </div>
  );
}
