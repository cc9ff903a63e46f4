/**
 * The one module that owns the socket and the stores. Frames are routed into plain
 * stores (market, alerts, candles) and surfaced to components through signals that
 * change at most every 100 ms; small rooms (movers, topcoins, pulse, markets) are set directly.
 * DOM-free: app.ts wires it to the browser's WebSocket, location and localStorage.
 */
import { batch, createRoot, createSignal, type Accessor } from "solid-js";
import type { AlertData, MoversData, PulseData, ServerFrame, TopCoinsData } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { AlertFeed } from "../core/alerts.ts";
import { Backoff } from "../core/backoff.ts";
import { CandleSeries } from "../core/candles.ts";
import { CoinDirectory } from "../core/coins.ts";
import { Connection, type ConnStatus, type SocketLike } from "../core/connection.ts";
import { isTicker, tickersOf, withArrays } from "../core/frames.ts";
import { MarketStore } from "../core/market.ts";
import { PortfolioStore, type Holding, type StorageLike } from "../core/portfolio.ts";
import { type Fired, type PriceRule, PriceAlerts } from "../core/price-alerts.ts";
import { diffRooms } from "../core/viewport.ts";
import { createLiveMarket, type LiveMarket } from "./live.ts";

export interface DashboardOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  storage?: StorageLike;
  backoff?: Backoff;
  pingIntervalMs?: number;
  offlineAfterMs?: number;
  /**
   * Watch the replay rooms `replay.<id>.…` of a `tickflow replay` instead of the live
   * rooms: every subscription is prefixed and every frame's room unprefixed, so the
   * stores and components see the past exactly as they see live data.
   */
  replayId?: string;
  /** Called when a personal price alert fires (the browser shows a notification). */
  notify?: (f: Fired) => void;
}

export interface CandleHandle {
  series: CandleSeries;
  /** Bumps when the series changed. */
  version: Accessor<number>;
  /** Ask for the page of candles before the oldest one held. */
  loadOlder(): void;
  release(): void;
}

/** Candles asked for per history request: 24 h of 1-minute candles. */
export const HISTORY_LIMIT = 1440;

export type Dashboard = ReturnType<typeof createDashboard>;

export function createDashboard(opts: DashboardOptions) {
  return createRoot((dispose) => {
    const market = new MarketStore();
    const live: LiveMarket = createLiveMarket(market);
    const feed = new AlertFeed(100);
    /** CoinGecko's names, ranks, caps and sparklines (room `markets`); `coinsVersion` bumps on each. */
    const coins = new CoinDirectory();
    const [coinsVersion, setCoinsVersion] = createSignal(0);
    const portfolio = new PortfolioStore(opts.storage);
    const priceAlerts = new PriceAlerts(opts.storage);
    const [priceRules, setPriceRules] = createSignal<readonly PriceRule[]>(priceAlerts.rules);
    const [firedAlerts, setFiredAlerts] = createSignal<readonly Fired[]>([]);
    const checkedAt = new Map<string, number>();

    const [status, setStatus] = createSignal<ConnStatus>("connecting");
    const [disconnectedAt, setDisconnectedAt] = createSignal<number | undefined>();
    const [lastFrameTs, setLastFrameTs] = createSignal<number | undefined>();
    const [movers, setMovers] = createSignal<MoversData>();
    const [topcoins, setTopcoins] = createSignal<TopCoinsData>();
    const [pulse, setPulse] = createSignal<PulseData>();
    /** The pulse window before the current one (what changed). */
    const [pulsePrev, setPulsePrev] = createSignal<PulseData>();
    const [alerts, setAlerts] = createSignal<readonly AlertData[]>([]);
    const [watchlist, setWatchlist] = createSignal<ReadonlySet<string>>(new Set(portfolio.watchlist));
    const [holdings, setHoldings] = createSignal<readonly Holding[]>(portfolio.holdings);
    const [lastError, setLastError] = createSignal<string>();

    interface CandleEntry { series: CandleSeries; room: string; refs: number; version: Accessor<number>; bump: () => void; dirty: boolean; loaded: boolean }
    /** By room (`candles.<SYM>.<tf>`). */
    const candles = new Map<string, CandleEntry>();
    let alertsDirty = false;
    let newestTs = 0;

    /** Room namespace: "" live, `replay.<id>.` when watching a replay. */
    const ns = opts.replayId ? `replay.${opts.replayId}.` : "";
    const [replayAt, setReplayAt] = createSignal<number | undefined>();
    let newestExchTs = 0;

    live.onFlush(() => {
      if (alertsDirty) {
        alertsDirty = false;
        setAlerts([...feed.list()]);
      }
      for (const c of candles.values()) if (c.dirty) { c.dirty = false; c.bump(); }
      if (newestTs) setLastFrameTs(newestTs);
      if (ns && newestExchTs) setReplayAt(newestExchTs);
      // Personal price alerts: each symbol with a rule, once per new price.
      for (const sym of priceAlerts.symbols()) {
        const q = market.quotes.get(sym);
        if (!q || (checkedAt.get(sym) ?? -1) >= q.exchTs) continue;
        checkedAt.set(sym, q.exchTs);
        const fired = priceAlerts.offer(sym, q.price, q.exchTs);
        if (fired.length) {
          setFiredAlerts((l) => [...fired, ...l].slice(0, 50));
          for (const f of fired) opts.notify?.(f);
        }
      }
    });

    const onFrame = (frame: ServerFrame) => {
      let f = frame;
      if (ns && "room" in f) {
        // A replay shows only its own rooms: anything else (a live room) is not part of it.
        if (!f.room.startsWith(ns)) return;
        f = { ...f, room: f.room.slice(ns.length) } as ServerFrame;
      }
      if (f.type === "snapshot" || f.type === "update") {
        if (f.ts > newestTs) newestTs = f.ts;
        route(f.room, f.data);
      } else if (f.type === "resync") {
        const c = candleOf(f.room);
        if (c && f.reason === "too_old") { c.series.clear(); c.dirty = true; live.request(); }
      } else if (f.type === "history") {
        const c = candleOf(f.room);
        if (c) {
          for (const x of f.data) c.series.upsert(x as never);
          c.loaded = true;
          c.dirty = true;
          live.request();
        }
      } else if (f.type === "error") {
        // A history request the edge could not answer now (ranker busy, rate limit): ask again shortly.
        if (f.message.startsWith("history") || f.message.includes("history requests")) {
          clearTimeout(historyRetry);
          historyRetry = setTimeout(() => { for (const c of candles.values()) if (!c.loaded) askHistory(c); }, 3000);
        }
        setLastError(`${f.code}: ${f.message}`);
      }
    };

    const route = (room: string, data: unknown) => {
      if (room === rooms.tickerAll) {
        for (const t of tickersOf(data)) {
          market.apply(t);
          if (t.exchTs > newestExchTs) newestExchTs = t.exchTs;
        }
        live.request();
      } else if (room.startsWith("ticker.")) {
        if (isTicker(data)) { market.apply(data); live.request(); }
      } else if (room === rooms.movers) {
        const m = withArrays<MoversData>(data, "gainers", "losers");
        if (m) setMovers(m);
      } else if (room === rooms.topcoins) {
        const t = withArrays<TopCoinsData>(data, "coins");
        if (t) setTopcoins(t);
      } else if (room === rooms.markets) {
        if (coins.apply(data)) setCoinsVersion((v) => v + 1);
      } else if (room === rooms.pulse) {
        const p = withArrays<PulseData>(data, "coins");
        const cur = pulse();
        if (p && cur && p.windowStart > cur.windowStart) setPulsePrev(cur);
        if (p) setPulse(p);
      } else if (room === rooms.alerts) {
        if (feed.add(data)) { alertsDirty = true; live.request(); }
      } else if (room.startsWith("book.") || room.startsWith("trades.")) {
        watched.get(room)?.set(data);
      } else {
        const c = candleOf(room);
        if (c && c.series.upsert(data as never)) { c.dirty = true; live.request(); }
      }
    };

    const candleOf = (room: string) => candles.get(room);
    /** Latest payload of snapshot rooms a component watches (book.<SYM>, trades.<SYM>). */
    const watched = new Map<string, { refs: number; data: Accessor<unknown>; set: (d: unknown) => void }>();
    let historyRetry: ReturnType<typeof setTimeout> | undefined;
    /** Ask the edge for the past candles of a room (24 h of 1m = 1440; other timeframes as many). */
    const askHistory = (c: CandleEntry, before?: number) => ns ? undefined :
      conn.send({ op: "history", room: c.room, limit: HISTORY_LIMIT, ...(before !== undefined ? { before } : {}) });

    const conn = new Connection({
      url: opts.url,
      createSocket: opts.createSocket,
      backoff: opts.backoff,
      pingIntervalMs: opts.pingIntervalMs,
      offlineAfterMs: opts.offlineAfterMs,
      onFrame,
      onStatus: (s) => batch(() => {
        // Frames that arrived before the drop are the last known prices: show them
        // in the same render as the banner, not one throttle period later.
        if (s !== "connected") live.flushNow();
        else for (const c of candles.values()) if (!c.loaded) askHistory(c);
        setStatus(s);
        setDisconnectedAt(conn.disconnectedAt);
      }),
      onBadFrame: (e) => setLastError(e.message),
    });

    /**
     * Subscribe and unsubscribe in this dashboard's namespace: live, or one replay's rooms.
     * A replay carries only the ticker rooms; the others (movers, candles, …) are not asked for.
     */
    const scoped = (list: string[]) => (ns ? list.filter((r) => r.startsWith("ticker.")).map((r) => ns + r) : list);
    const sub = (list: string[]) => {
      const l = scoped(list);
      if (l.length) conn.subscribe(l);
    };
    const unsub = (list: string[]) => {
      const l = scoped(list);
      if (l.length) conn.unsubscribe(l);
    };

    /** Hold some rooms while a component is mounted; call the result to release them. */
    const use = (list: string[]): (() => void) => {
      sub(list);
      let done = false;
      return () => {
        if (!done) { done = true; unsub(list); }
      };
    };

    // The grid's visible rows: one `ticker.<SYM>` room each, replaced as the user scrolls.
    let visible = new Set<string>();
    const setVisibleSymbols = (symbols: Iterable<string>) => {
      const next = new Set<string>();
      for (const s of symbols) next.add(rooms.ticker(s));
      const { add, remove } = diffRooms(visible, next);
      visible = next;
      if (add.length) sub(add);
      if (remove.length) unsub(remove);
    };

    /** Candles of a symbol and timeframe: history (the `history` op), then live from the room. */
    const useCandles = (symbol: string, tf = "1m"): CandleHandle => {
      const room = rooms.candles(symbol, tf);
      let c = candles.get(room);
      if (!c) {
        const [version, setVersion] = createSignal(0);
        c = { series: new CandleSeries(symbol), room, refs: 0, version, bump: () => setVersion((v) => v + 1), dirty: false, loaded: false };
        candles.set(room, c);
        askHistory(c);
      }
      c.refs++;
      sub([room]);
      const entry = c;
      let released = false;
      return {
        series: entry.series,
        version: entry.version,
        loadOlder: () => {
          const first = entry.series.list()[0];
          if (first) askHistory(entry, first.start);
        },
        release: () => {
          if (released) return;
          released = true;
          unsub([room]);
          if (--entry.refs === 0) candles.delete(room);
        },
      };
    };

    /** Hold a snapshot room and follow its latest payload (undefined until the first). */
    const watchRoom = (room: string): { data: Accessor<unknown>; release(): void } => {
      let w = watched.get(room);
      if (!w) {
        const [data, setData] = createSignal<unknown>(undefined, { equals: false });
        w = { refs: 0, data, set: (d) => setData(() => d) };
        watched.set(room, w);
      }
      w.refs++;
      sub([room]);
      const entry = w;
      let released = false;
      return {
        data: entry.data,
        release: () => {
          if (released) return;
          released = true;
          unsub([room]);
          if (--entry.refs === 0) watched.delete(room);
        },
      };
    };

    const addPriceRule = (r: Omit<PriceRule, "id">) => {
      priceAlerts.add(r);
      setPriceRules(priceAlerts.rules);
    };
    const removePriceRule = (id: string) => {
      priceAlerts.remove(id);
      setPriceRules(priceAlerts.rules);
    };

    const toggleWatch = (symbol: string) => {
      portfolio.toggleWatch(symbol);
      setWatchlist(new Set(portfolio.watchlist));
    };
    const addHolding = (h: Holding) => {
      portfolio.addHolding(h);
      setHoldings(portfolio.holdings);
    };
    const removeHolding = (symbol: string) => {
      portfolio.removeHolding(symbol);
      setHoldings(portfolio.holdings);
    };

    // Always on: the symbol list and market-wide values (sorting, bar chart, portfolio).
    sub([rooms.tickerAll]);

    return {
      market, coins, coinsVersion, live, conn, status,
      /** The replay watched (`?replay=`), and the lake time of its newest tick; undefined when live. */
      replayId: opts.replayId, replayAt, disconnectedAt, lastFrameTs, lastError,
      movers, topcoins, pulse, pulsePrev, alerts, watchlist, holdings,
      priceRules, firedAlerts, addPriceRule, removePriceRule,
      use, setVisibleSymbols, useCandles, watchRoom, toggleWatch, addHolding, removeHolding,
      visibleRooms: () => [...visible],
      stale: () => status() !== "connected" || live.delayedFor() !== undefined,
      start: () => conn.start(),
      reconnectNow: () => conn.reconnectNow(),
      dispose: () => { conn.stop(); dispose(); },
    };
  });
}
