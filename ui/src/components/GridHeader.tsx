/** Column headers of the price grid; each sortable column is a button with aria-sort. */
import { For } from "solid-js";
import type { SortDir, SortKey } from "../core/market.ts";

const COLUMNS: Array<{ key: SortKey; label: string; cls: string }> = [
  { key: "symbol", label: "Symbol", cls: "c-sym" },
  { key: "price", label: "Price", cls: "c-num c-price" },
  { key: "change", label: "24h %", cls: "c-num c-chg" },
  { key: "high", label: "24h high", cls: "c-num c-hi" },
  { key: "low", label: "24h low", cls: "c-num c-lo" },
  { key: "volume", label: "Vol $", cls: "c-num c-vol" },
];

export default function GridHeader(props: { sortKey: SortKey; sortDir: SortDir; onSort: (key: SortKey) => void }) {
  const ariaSort = (key: SortKey) => (props.sortKey === key ? (props.sortDir === "asc" ? "ascending" : "descending") : "none");
  return (
    <div role="row" class="grid-row grid-head" aria-rowindex={1}>
      <span role="columnheader" class="c-star"><span class="sr-only">Watch</span></span>
      <For each={COLUMNS}>
        {(col) => (
          <span role="columnheader" class={col.cls} aria-sort={ariaSort(col.key)}>
            <button type="button" class="sort" onClick={() => props.onSort(col.key)}>
              {col.label}
              <span aria-hidden="true" class="arrow">{props.sortKey === col.key ? (props.sortDir === "asc" ? "▲" : "▼") : ""}</span>
            </button>
          </span>
        )}
      </For>
    </div>
  );
}
