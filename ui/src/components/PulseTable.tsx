/** Market pulse: the last closed 30 s window per coin, with volatility and trend badges (room `pulse`). */
import { Index, Show } from "solid-js";
import { rooms } from "../../../lib/contracts/subjects.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import { useRooms } from "../state/use-rooms.ts";
import Badge from "./Badge.tsx";

export default function PulseTable() {
  useRooms(rooms.pulse);
  const p = () => app.pulse();
  return (
    <section class="panel" aria-labelledby="pulse-title" classList={{ stale: app.stale() }}>
      <h2 id="pulse-title">
        Market pulse <Show when={p()}>{(d) => <span class="muted small">window {fmt.time(d().windowStart)}–{fmt.time(d().windowEnd)}</span>}</Show>
      </h2>
      <Show when={p()?.coins.length} fallback={<p class="muted">Waiting for the first window…</p>}>
        <div class="scroll-y">
          <table class="table">
            <thead>
              <tr><th scope="col">Symbol</th><th scope="col" class="num">Avg price</th><th scope="col" class="num">24h</th>
                <th scope="col" class="hide-sm">Volatility</th><th scope="col">Trend</th><th scope="col" class="num hide-sm">Ticks</th></tr>
            </thead>
            <tbody>
              <Index each={p()?.coins}>
                {(c) => (
                  <tr>
                    <td><a href={`#/coin/${encodeURIComponent(c().symbol)}`}>{c().symbol}</a></td>
                    <td class="num">{fmt.price(c().avgPrice)}</td>
                    <td class="num" classList={{ up: c().avgChange24hPct > 0, down: c().avgChange24hPct < 0 }}>{fmt.pct(c().avgChange24hPct)}</td>
                    <td class="hide-sm"><Badge value={c().volatility} /></td>
                    <td><Badge value={c().trend} /></td>
                    <td class="num hide-sm muted">{fmt.integer(c().ticks)}</td>
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
