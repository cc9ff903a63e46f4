/** A short list of symbols with price and 24 h change (gainers or losers). */
import { Index, Show } from "solid-js";
import type { MoversData } from "../../../edge/protocol.ts";
import * as fmt from "../core/format.ts";

export default function MoverList(props: { title: string; rows: MoversData["gainers"] | undefined; tone: "up" | "down" }) {
  return (
    <div class="mover-list">
      <h3>{props.title}</h3>
      <Show when={props.rows?.length} fallback={<p class="muted">Waiting for data…</p>}>
        <table class="table compact">
          <thead><tr><th scope="col">Symbol</th><th scope="col" class="num">Price</th><th scope="col" class="num">24h</th></tr></thead>
          <tbody>
            <Index each={props.rows}>
              {(r) => (
                <tr>
                  <td><a href={`#/coin/${encodeURIComponent(r().symbol)}`}>{r().symbol}</a></td>
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
