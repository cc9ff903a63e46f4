/** The latest 1-minute candles of a coin, newest first. */
import { For, Show } from "solid-js";
import type { CandleData } from "../../../edge/protocol.ts";
import * as fmt from "../core/format.ts";

export default function CandleTable(props: { candles: readonly CandleData[] }) {
  return (
    <Show when={props.candles.length} fallback={<p class="muted">Loading candle history…</p>}>
      <div class="scroll-x">
        <table class="table compact">
          <caption class="sr-only">Latest one-minute candles</caption>
          <thead>
            <tr><th scope="col">Minute</th><th scope="col" class="num">Open</th><th scope="col" class="num">High</th>
              <th scope="col" class="num">Low</th><th scope="col" class="num">Close</th><th scope="col" class="num hide-sm">Trades</th></tr>
          </thead>
          <tbody>
            <For each={props.candles}>
              {(c) => (
                <tr classList={{ muted: !c.final }}>
                  <td>{fmt.time(c.start, false)}{c.final ? "" : " …"}</td>
                  <td class="num">{fmt.price(c.open)}</td>
                  <td class="num">{fmt.price(c.high)}</td>
                  <td class="num">{fmt.price(c.low)}</td>
                  <td class="num" classList={{ up: (c.close ?? 0) > (c.open ?? 0), down: (c.close ?? 0) < (c.open ?? 0) }}>{fmt.price(c.close)}</td>
                  <td class="num hide-sm">{fmt.integer(c.trades)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
