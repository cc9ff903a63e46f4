/**
 * The price grid's state, apart from its markup: which symbols are rows (search, venue,
 * watchlist filter, sort with the once-a-second live re-sort) and which rows exist in the
 * DOM (the virtual-scroll window, and the debounced push of the rows in view, whose
 * `ticker.<SYM>` rooms are the ones held). Each function creates its signals, memos,
 * effects and cleanups in the calling component's owner, so call them from PriceGrid's body.
 */
import { createEffect, createMemo, createSignal, on, onCleanup, type Accessor } from "solid-js";
import { debounce } from "@solid-primitives/scheduled";
import { filterSymbols, sortSymbols, venuesOf, type SortDir, type SortKey } from "../core/market.ts";
import { visibleRange } from "../core/viewport.ts";
import { app } from "../state/app.ts";

const OVERSCAN = 4;
const RESORT_MS = 1000;
const PUSH_VISIBLE_MS = 150;

/**
 * Filter and sort state and the rows they give. Default order: market cap, descending.
 * A live sort key (anything but the symbol) re-sorts on a tick at most once per RESORT_MS.
 */
export function createGridRows() {
  const [query, setQuery] = createSignal("");
  const [venue, setVenue] = createSignal("");
  const [watchOnly, setWatchOnly] = createSignal(false);
  const [sortKey, setSortKey] = createSignal<SortKey>("mcap");
  const [sortDir, setSortDir] = createSignal<SortDir>("desc");
  const [resort, setResort] = createSignal(0);
  let lastSort = 0;

  createEffect(on(app.live.tick, () => {
    if (sortKey() !== "symbol" && Date.now() - lastSort >= RESORT_MS) setResort((n) => n + 1);
  }, { defer: true }));

  const rows = createMemo(() => {
    resort();
    app.coinsVersion();
    lastSort = Date.now();
    const opts = { venue: venue() || undefined, quotes: app.market.quotes, coins: app.coins };
    const list = filterSymbols(app.live.symbols(), query(), watchOnly() ? app.watchlist() : undefined, opts);
    return sortSymbols(list, app.market.quotes, sortKey(), sortDir(), app.coins);
  });
  const venues = createMemo(() => {
    app.live.symbols();
    return venuesOf(app.market.quotes);
  }, undefined, { equals: (a, b) => a.join() === b.join() });

  /** Same key flips the direction; a new key starts ascending for the symbol, else descending. */
  const sortBy = (key: SortKey) => {
    if (sortKey() === key) setSortDir(sortDir() === "asc" ? "desc" : "asc");
    else {
      setSortKey(key);
      setSortDir(key === "symbol" ? "asc" : "desc");
    }
  };

  return { query, setQuery, venue, setVenue, watchOnly, setWatchOnly, sortKey, sortDir, sortBy, rows, venues };
}

/**
 * The virtual-scroll window over `rows`: the rows to render (those in view plus OVERSCAN
 * either side) and their first index. The rows strictly in view are pushed to
 * `app.setVisibleSymbols` (debounced PUSH_VISIBLE_MS), and cleared when the owner is disposed.
 * Scroll position and body height start at 0 and 600 px until the caller sets them.
 */
export function createRowWindow(rows: Accessor<readonly string[]>, rowHeight: number) {
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(600);
  const range = createMemo(() => visibleRange(scrollTop(), height(), rowHeight, rows().length, OVERSCAN));
  const rendered = createMemo(() => rows().slice(range().start, range().end));

  const visible = createMemo(() => {
    const r = visibleRange(scrollTop(), height(), rowHeight, rows().length, 0);
    return rows().slice(r.start, r.end);
  });
  const pushVisible = debounce((syms: readonly string[]) => app.setVisibleSymbols(syms), PUSH_VISIBLE_MS);
  createEffect(() => pushVisible(visible()));
  onCleanup(() => {
    pushVisible.clear();
    app.setVisibleSymbols([]);
  });

  return { setScrollTop, height, setHeight, range, rendered };
}
