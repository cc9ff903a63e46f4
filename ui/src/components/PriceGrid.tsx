/**
 * The live price grid: one row per symbol per venue (BTC-USD is Coinbase's, BTC-USDT
 * Binance's), with the coin's CoinGecko rank, name, market cap and 24 h sparkline (room
 * `markets`, held while the grid is mounted); by default in market-cap order; searchable
 * by symbol or name, filterable by venue, sortable, virtually scrolled
 * (only rows in view exist in the DOM). The rows in view are the only `ticker.<SYM>`
 * rooms held, so scrolling changes the subscriptions (debounced to spare the edge's
 * rate limit). Live sort keys re-sort at most once a second so rows do not jump
 * under the reader's eye at 10 Hz.
 */
import { Index, createEffect, createMemo, createSignal, on, onCleanup, onMount } from "solid-js";
import { debounce } from "@solid-primitives/scheduled";
import { filterSymbols, sortSymbols, venuesOf, type SortDir, type SortKey } from "../core/market.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { useRooms } from "../state/use-rooms.ts";
import { scrollToRow, visibleRange } from "../core/viewport.ts";
import { app } from "../state/app.ts";
import { go } from "../route.ts";
import GridHeader from "./GridHeader.tsx";
import GridRow, { ROW_HEIGHT } from "./GridRow.tsx";
import GridToolbar from "./GridToolbar.tsx";

const OVERSCAN = 4;
const RESORT_MS = 1000;

export default function PriceGrid() {
  useRooms(rooms.markets);
  const [query, setQuery] = createSignal("");
  const [venue, setVenue] = createSignal("");
  const [watchOnly, setWatchOnly] = createSignal(false);
  const [sortKey, setSortKey] = createSignal<SortKey>("mcap");
  const [sortDir, setSortDir] = createSignal<SortDir>("desc");
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(600);
  const [active, setActive] = createSignal(0);
  const [resort, setResort] = createSignal(0);
  let body!: HTMLDivElement;
  let search: HTMLInputElement | undefined;
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
  const range = createMemo(() => visibleRange(scrollTop(), height(), ROW_HEIGHT, rows().length, OVERSCAN));
  const rendered = createMemo(() => rows().slice(range().start, range().end));

  const visible = createMemo(() => {
    const r = visibleRange(scrollTop(), height(), ROW_HEIGHT, rows().length, 0);
    return rows().slice(r.start, r.end);
  });
  const pushVisible = debounce((syms: readonly string[]) => app.setVisibleSymbols(syms), 150);
  createEffect(() => pushVisible(visible()));
  onCleanup(() => {
    pushVisible.clear();
    app.setVisibleSymbols([]);
  });

  let frame = 0;
  const onScroll = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      setScrollTop(body.scrollTop);
    });
  };
  onMount(() => {
    const ro = new ResizeObserver(() => setHeight(body.clientHeight));
    ro.observe(body);
    setHeight(body.clientHeight);
    const slash = (e: KeyboardEvent) => {
      if (e.key === "/" && !(e.target instanceof HTMLInputElement)) {
        e.preventDefault();
        search?.focus();
      }
    };
    window.addEventListener("keydown", slash);
    onCleanup(() => {
      ro.disconnect();
      cancelAnimationFrame(frame);
      window.removeEventListener("keydown", slash);
    });
  });

  const sortBy = (key: SortKey) => {
    if (sortKey() === key) setSortDir(sortDir() === "asc" ? "desc" : "asc");
    else {
      setSortKey(key);
      setSortDir(key === "symbol" ? "asc" : "desc");
    }
  };

  const moveTo = (i: number) => {
    const n = rows().length;
    if (n === 0) return;
    const idx = Math.max(0, Math.min(n - 1, i));
    setActive(idx);
    const top = scrollToRow(idx, body.scrollTop, body.clientHeight, ROW_HEIGHT);
    if (top !== body.scrollTop) {
      body.scrollTop = top;
      setScrollTop(top);
    }
  };
  const page = () => Math.max(1, Math.floor(height() / ROW_HEIGHT) - 1);
  const onKey = (e: KeyboardEvent) => {
    const i = Math.min(active(), Math.max(0, rows().length - 1));
    const sym = rows()[i];
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(i + 1),
      ArrowUp: () => moveTo(i - 1),
      PageDown: () => moveTo(i + page()),
      PageUp: () => moveTo(i - page()),
      Home: () => moveTo(0),
      End: () => moveTo(rows().length - 1),
      Enter: () => sym && go("coin", sym),
      w: () => sym && app.toggleWatch(sym),
      " ": () => sym && app.toggleWatch(sym),
    };
    const fn = keys[e.key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  };
  const activeId = () => {
    const s = rows()[active()];
    return s ? `row-${s}` : undefined;
  };

  return (
    <section class="panel grid-panel" aria-labelledby="grid-title" classList={{ stale: app.stale() }}>
      <h2 id="grid-title" class="sr-only">Live prices</h2>
      <GridToolbar
        query={query()}
        onQuery={(q) => { setQuery(q); setActive(0); }}
        venue={venue()}
        venues={venues()}
        onVenue={(v) => { setVenue(v); setActive(0); }}
        watchOnly={watchOnly()}
        onWatchOnly={(on) => { setWatchOnly(on); setActive(0); }}
        shown={rows().length}
        total={app.live.symbols().length}
        ref={(el) => (search = el)}
      />
      <div
        class="grid"
        role="grid"
        aria-label="Live prices. Arrow keys move, Enter opens the coin, W toggles the watchlist."
        aria-rowcount={rows().length + 1}
        tabIndex={0}
        onKeyDown={onKey}
        aria-activedescendant={activeId()}
      >
        <GridHeader sortKey={sortKey()} sortDir={sortDir()} onSort={sortBy} />
        <div class="grid-body" role="rowgroup" ref={body} onScroll={onScroll} data-testid="grid-body">
          <div class="grid-spacer" style={{ height: `${rows().length * ROW_HEIGHT}px` }}>
            <Index each={rendered()}>
              {(sym, i) => <GridRow symbol={sym()} index={range().start + i} active={range().start + i === active()} />}
            </Index>
          </div>
          {rows().length === 0 ? <p class="empty">{app.live.symbols().length ? "No symbol matches." : "Waiting for prices…"}</p> : null}
        </div>
      </div>
    </section>
  );
}
