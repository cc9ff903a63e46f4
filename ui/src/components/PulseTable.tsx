/**
 * Market pulse: the last closed 30 s window per coin (room `pulse`), with what changed
 * since the window before (price move, trend and volatility it had then); every column
 * sorts, the biggest moves first by default.
 */
import { For, Index, Show, createMemo, createSignal } from "solid-js";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { baseOf } from "../core/coins.ts";
import * as fmt from "../core/format.ts";
import { pulseView, sortPulse, type PulseSortKey } from "../core/pulse.ts";
import { app } from "../state/app.ts";
import { useRooms } from "../state/use-rooms.ts";
import Badge from "./Badge.tsx";

const COLUMNS: Array<{ key: PulseSortKey; label: string; cls: string }> = [
  { key: "symbol", label: "Coin", cls: "" },
  { key: "avgPrice", label: "Avg price", cls: "num" },
  { key: "move", label: "Δ 30s", cls: "num" },
  { key: "change", label: "24h", cls: "num hide-sm" },
  { key: "volatility", label: "Volatility", cls: "hide-sm" },
  { key: "trend", label: "Trend", cls: "" },
  { key: "marketCap", label: "Mkt cap", cls: "num hide-sm" },
];

export default function PulseTable() {
  useRooms(rooms.pulse);
  const [key, setKey] = createSignal<PulseSortKey>("move");
  const [dir, setDir] = createSignal<"asc" | "desc">("desc");
  const p = () => app.pulse();
  const rows = createMemo(() => sortPulse(pulseView(p(), app.pulsePrev()), key(), dir()));
  // Pulse rows are coins (BTC): link each to the first pair of it the page knows.
  const pairOf = createMemo(() => {
    const m = new Map<string, string>();
    for (const s of app.live.symbols()) if (!m.has(baseOf(s))) m.set(baseOf(s), s);
    return m;
  });
  const sortBy = (k: PulseSortKey) => {
    if (key() === k) setDir(dir() === "asc" ? "desc" : "asc");
    else { setKey(k); setDir(k === "symbol" ? "asc" : "desc"); }
  };
  const ariaSort = (k: PulseSortKey) => (key() === k ? (dir() === "asc" ? "ascending" : "descending") : "none");
  return (
    <section class="panel" aria-labelledby="pulse-title" classList={{ stale: app.stale() }}>
      <h2 id="pulse-title">
        Market pulse <Show when={p()}>{(d) => <span class="muted small">window {fmt.time(d().windowStart)}–{fmt.time(d().windowEnd)}</span>}</Show>
      </h2>
      <Show when={p()?.coins.length} fallback={<p class="muted">Waiting for the first window…</p>}>
        <div class="scroll-y">
          <table class="table" data-testid="pulse-table">
            <thead>
              <tr>
                <For each={COLUMNS}>
                  {(c) => (
                    <th scope="col" class={c.cls} aria-sort={ariaSort(c.key)}>
                      <button type="button" class="sort" onClick={() => sortBy(c.key)}>
                        {c.label}<span aria-hidden="true" class="arrow">{key() === c.key ? (dir() === "asc" ? "▲" : "▼") : ""}</span>
                      </button>
                    </th>
                  )}
                </For>
              </tr>
            </thead>
            <tbody>
              <Index each={rows()}>
                {(c) => (
                  <tr>
                    <td><a href={`#/coin/${encodeURIComponent(pairOf().get(c().symbol) ?? c().symbol)}`}>{c().symbol}</a></td>
                    <td class="num">{fmt.usdPrice(c().avgPrice)}</td>
                    <td class="num" classList={{ up: (c().movePct ?? 0) > 0, down: (c().movePct ?? 0) < 0 }}>{c().movePct === undefined ? "new" : fmt.pct(c().movePct)}</td>
                    <td class="num hide-sm" classList={{ up: c().avgChange24hPct > 0, down: c().avgChange24hPct < 0 }}>{fmt.pct(c().avgChange24hPct)}</td>
                    <td class="hide-sm"><Badge value={c().volatility} />{c().volatilityBefore ? <span class="small muted"> was {c().volatilityBefore}</span> : null}</td>
                    <td><Badge value={c().trend} />{c().trendBefore ? <span class="small muted hide-sm"> was {c().trendBefore}</span> : null}</td>
                    <td class="num hide-sm">{fmt.usdCompact(c().marketCap)}</td>
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
