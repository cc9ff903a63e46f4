/**
 * The live price grid: one row per symbol per venue (BTC-USD is Coinbase's, BTC-USDT
 * Binance's), with the coin's CoinGecko rank, name, market cap and 24 h sparkline (room
 * `markets`, held while the grid is mounted); by default in market-cap order; searchable
 * by symbol or name, filterable by venue, sortable, virtually scrolled
 * (only rows in view exist in the DOM). The rows in view are the only `ticker.<SYM>`
 * rooms held, so scrolling changes the subscriptions (debounced to spare the edge's
 * rate limit). Live sort keys re-sort at most once a second so rows do not jump
 * under the reader's eye at 10 Hz.
 *
 * The row set (filter, sort) and the scroll window live in grid-state.ts; this file holds
 * the markup, scrolling, focus and keys.
 */
import { Index, createSignal, onCleanup, onMount } from "solid-js";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { useRooms } from "../state/use-rooms.ts";
import { scrollToRow } from "../core/viewport.ts";
import { app } from "../state/app.ts";
import { go } from "../route.ts";
import GridHeader from "./GridHeader.tsx";
import GridRow, { ROW_HEIGHT } from "./GridRow.tsx";
import GridToolbar from "./GridToolbar.tsx";
import { createGridRows, createRowWindow } from "./grid-state.ts";

export default function PriceGrid() {
  useRooms(rooms.markets);
  const g = createGridRows();
  const rows = g.rows;
  const [active, setActive] = createSignal(0);
  const win = createRowWindow(rows, ROW_HEIGHT);
  let body!: HTMLDivElement;
  let search: HTMLInputElement | undefined;

  let frame = 0;
  const onScroll = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      win.setScrollTop(body.scrollTop);
    });
  };
  onMount(() => {
    const ro = new ResizeObserver(() => win.setHeight(body.clientHeight));
    ro.observe(body);
    win.setHeight(body.clientHeight);
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

  const moveTo = (i: number) => {
    const n = rows().length;
    if (n === 0) return;
    const idx = Math.max(0, Math.min(n - 1, i));
    setActive(idx);
    const top = scrollToRow(idx, body.scrollTop, body.clientHeight, ROW_HEIGHT);
    if (top !== body.scrollTop) {
      body.scrollTop = top;
      win.setScrollTop(top);
    }
  };
  const page = () => Math.max(1, Math.floor(win.height() / ROW_HEIGHT) - 1);
  const onKey = (e: KeyboardEvent) => {
    const i = Math.min(active(), Math.max(0, rows().length - 1));
    const fn = gridKeys(i, rows()[i], { moveTo, page, last: () => rows().length - 1 })[e.key];
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
        query={g.query()}
        onQuery={(q) => { g.setQuery(q); setActive(0); }}
        venue={g.venue()}
        venues={g.venues()}
        onVenue={(v) => { g.setVenue(v); setActive(0); }}
        watchOnly={g.watchOnly()}
        onWatchOnly={(on) => { g.setWatchOnly(on); setActive(0); }}
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
        <GridHeader sortKey={g.sortKey()} sortDir={g.sortDir()} onSort={g.sortBy} />
        <div class="grid-body" role="rowgroup" ref={body} onScroll={onScroll} data-testid="grid-body">
          <div class="grid-spacer" style={{ height: `${rows().length * ROW_HEIGHT}px` }}>
            <Index each={win.rendered()}>
              {(sym, i) => <GridRow symbol={sym()} index={win.range().start + i} active={win.range().start + i === active()} />}
            </Index>
          </div>
          {rows().length === 0 ? <p class="empty">{app.live.symbols().length ? "No symbol matches." : "Waiting for prices…"}</p> : null}
        </div>
      </div>
    </section>
  );
}

/**
 * The grid's keys, for the active row `i` (symbol `sym`): arrows move one row, PageUp/Down
 * a page, Home/End to the ends; Enter opens the coin, W or space toggles the watchlist.
 */
function gridKeys(i: number, sym: string | undefined, nav: { moveTo(i: number): void; page(): number; last(): number }): Record<string, () => void> {
  return {
    ArrowDown: () => nav.moveTo(i + 1),
    ArrowUp: () => nav.moveTo(i - 1),
    PageDown: () => nav.moveTo(i + nav.page()),
    PageUp: () => nav.moveTo(i - nav.page()),
    Home: () => nav.moveTo(0),
    End: () => nav.moveTo(nav.last()),
    Enter: () => sym && go("coin", sym),
    w: () => sym && app.toggleWatch(sym),
    " ": () => sym && app.toggleWatch(sym),
  };
}
