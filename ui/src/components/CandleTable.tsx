/** The latest candles of a coin, newest first; empty periods say so, feed-down periods too. */
import { For, Show } from "solid-js";
import type { CandleData } from "../../../lib/contracts/protocol.ts";
import * as fmt from "../core/format.ts";

export default function CandleTable(props: { candles: readonly CandleData[]; tf?: string }) {
  return (
    <Show when={props.candles.length} fallback={<p class="muted">Loading candle history…</p>}>
      <div class="scroll-x">
        <table class="table compact">
          <caption class="sr-only">Latest {props.tf ?? "1m"} candles</caption>
          <thead>
            <tr><th scope="col">{props.tf === "1d" ? "Day" : "Time"}</th><th scope="col" class="num hide-sm">Open</th><th scope="col" class="num">High</th>
              <th scope="col" class="num">Low</th><th scope="col" class="num">Close</th><th scope="col" class="num hide-sm">Volume</th></tr>
          </thead>
          <tbody>
            <For each={props.candles}>
              {(c) => (
                <tr classList={{ muted: !c.final }}>
                  <td class="when">{props.tf === "1d" ? fmt.date(c.start) : fmt.time(c.start, false)}{c.final ? "" : " …"}{c.empty ? (c.down ? " · feed down" : " · no trades") : ""}</td>
                  <td class="num hide-sm">{fmt.price(c.open)}</td>
                  <td class="num">{fmt.price(c.high)}</td>
                  <td class="num">{fmt.price(c.low)}</td>
                  <td class="num" classList={{ up: (c.close ?? 0) > (c.open ?? 0), down: (c.close ?? 0) < (c.open ?? 0) }}>{fmt.price(c.close)}</td>
                  <td class="num hide-sm">{fmt.qty(c.volume)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
