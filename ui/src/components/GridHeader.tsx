/** Column headers of the price grid; each sortable column is a button with aria-sort. */
import { For } from "solid-js";
import type { SortDir, SortKey } from "../core/market.ts";

type Column = { key?: SortKey; label: string; cls: string; title?: string };

const COLUMNS: Column[] = [
  { label: "#", cls: "c-rank", title: "CoinGecko rank (by market cap)" },
  { key: "symbol", label: "Coin", cls: "c-sym" },
  { label: "Venue", cls: "c-venue" },
  { key: "price", label: "Price", cls: "c-num c-price" },
  { key: "change", label: "24h %", cls: "c-num c-chg" },
  { label: "24h", cls: "c-spark", title: "hourly prices over 24 h (CoinGecko)" },
  { key: "mcap", label: "Mkt cap", cls: "c-num c-mcap" },
  { key: "volume", label: "Vol 24h", cls: "c-num c-vol", title: "24 h volume on this venue in USD" },
  { key: "high", label: "24h high", cls: "c-num c-hi" },
  { key: "low", label: "24h low", cls: "c-num c-lo" },
];

export default function GridHeader(props: { sortKey: SortKey; sortDir: SortDir; onSort: (key: SortKey) => void }) {
  const ariaSort = (key: SortKey | undefined) => (key && props.sortKey === key ? (props.sortDir === "asc" ? "ascending" : "descending") : "none");
  return (
    <div role="row" class="grid-row grid-head" aria-rowindex={1}>
      <span role="columnheader" class="c-star"><span class="sr-only">Watch</span></span>
      <For each={COLUMNS}>
        {(col) => (
          <span role="columnheader" class={col.cls} aria-sort={ariaSort(col.key)} title={col.title}>
            {col.key ? (
              <button type="button" class="sort" onClick={() => props.onSort(col.key!)}>
                {col.label}
                <span aria-hidden="true" class="arrow">{props.sortKey === col.key ? (props.sortDir === "asc" ? "▲" : "▼") : ""}</span>
              </button>
            ) : col.label}
          </span>
        )}
      </For>
    </div>
  );
}
