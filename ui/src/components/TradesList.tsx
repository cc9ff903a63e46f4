/** Recent trades of a coin (room `trades.<SYM>`), newest first, taker side coloured. */
import { For, Show, createEffect, createSignal, onCleanup } from "solid-js";
import type { TradesData } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";

export default function TradesList(props: { symbol: string }) {
  const [data, setData] = createSignal<TradesData>();
  createEffect(() => {
    const w = app.watchRoom(rooms.trades(props.symbol));
    setData(undefined);
    createEffect(() => setData(w.data() as TradesData | undefined));
    onCleanup(() => w.release());
  });
  return (
    <section class="panel trades" aria-labelledby="trades-title">
      <h3 id="trades-title">Recent trades</h3>
      <Show when={data()?.trades.length} fallback={<p class="muted small">No trades from this venue yet.</p>}>
        <table class="table compact" data-testid="trades-list">
          <thead><tr><th scope="col">Time</th><th scope="col" class="num">Price</th><th scope="col" class="num">Size</th></tr></thead>
          <tbody>
            <For each={data()!.trades.slice(0, 25)}>
              {(t) => (
                <tr>
                  <td class="muted">{fmt.time(t.ts)}</td>
                  <td class="num" classList={{ up: t.side === "buy", down: t.side === "sell" }}>{fmt.price(t.price)}<span class="sr-only"> {t.side}</span></td>
                  <td class="num">{fmt.qty(t.size)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}
