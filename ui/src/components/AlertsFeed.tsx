/**
 * Alerts, newest first, with their time (stream room `alerts`, replayed on reconnect):
 * one per coin and move, the pair and venue that crossed named; the message's leading
 * coin is not repeated after the symbol.
 */
import { For, Show } from "solid-js";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { withoutCoin } from "../core/alerts.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import { useRooms } from "../state/use-rooms.ts";

export default function AlertsFeed(props: { limit?: number }) {
  useRooms(rooms.alerts);
  const list = () => app.alerts().slice(0, props.limit ?? 50);
  return (
    <section class="panel alerts" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <Show when={list().length} fallback={<p class="muted">No alerts yet.</p>}>
        <ol class="feed" aria-live="polite" aria-relevant="additions">
          <For each={list()}>
            {(a) => (
              <li class="feed-item">
                <time datetime={new Date(a.at).toISOString()} class="muted">{fmt.time(a.at)}</time>
                <span class={`kind ${(a.change24hPct ?? 0) >= 0 ? "up" : "down"}`}>{a.kind}</span>
                <a href={`#/coin/${encodeURIComponent(a.symbol)}`}>{a.symbol}</a>
                <span class="msg">{withoutCoin(a.message, a.symbol)}</span>
              </li>
            )}
          </For>
        </ol>
      </Show>
    </section>
  );
}
