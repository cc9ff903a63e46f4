/**
 * The one module that owns the socket and the stores. Frames are routed into plain
 * stores (market, alerts, candles) and surfaced to components through signals that
 * change at most every 100 ms; small rooms (movers, topcoins, pulse, markets) are set directly.
 * The parts live beside it: candle-rooms.ts (charts' candles and history), panels.ts
 * (market-wide rooms), watched-rooms.ts (book, trades), personal.ts (watchlist,
 * holdings, price alerts); this module routes frames to them and owns the connection.
 * DOM-free: app.ts wires it to the browser's WebSocket, location and localStorage.
 */
import { batch, createRoot, createSignal } from "solid-js";
import type { ServerFrame } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { Backoff } from "../core/backoff.ts";
import { Connection, type ConnStatus, type SocketLike } from "../core/connection.ts";
import { isTicker, tickersOf } from "../core/frames.ts";
import { MarketStore } from "../core/market.ts";
import type { StorageLike } from "../core/portfolio.ts";
import type { Fired } from "../core/price-alerts.ts";
import { type CandleRoomsDeps, createCandleRooms } from "./candle-rooms.ts";
import { createLiveMarket, type LiveMarket } from "./live.ts";
import { createPanels } from "./panels.ts";
import { createPersonal } from "./personal.ts";
import { createRoomScope } from "./room-scope.ts";
import { createWatchedRooms } from "./watched-rooms.ts";

export { type CandleHandle, HISTORY_LIMIT } from "./candle-rooms.ts";

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
  /** Candles from the lake (`GET /candles`, core/lake.ts); none: charts use the `history` op alone. */
  fetchLake?: CandleRoomsDeps["fetchLake"];
  /** Called when a personal price alert fires (the browser shows a notification). */
  notify?: (f: Fired) => void;
}

export type Dashboard = ReturnType<typeof createDashboard>;

export function createDashboard(opts: DashboardOptions) {
  return createRoot((dispose) => {
    const market = new MarketStore();
    const live: LiveMarket = createLiveMarket(market);
    const panels = createPanels(() => live.request());
    const personal = createPersonal(opts.storage, opts.notify);

    const [status, setStatus] = createSignal<ConnStatus>("connecting");
    const [disconnectedAt, setDisconnectedAt] = createSignal<number | undefined>();
    const [lastFrameTs, setLastFrameTs] = createSignal<number | undefined>();
    const [lastError, setLastError] = createSignal<string>();
    let newestTs = 0;

    /** Room namespace: "" live, `replay.<id>.` when watching a replay. */
    const ns = opts.replayId ? `replay.${opts.replayId}.` : "";
    const [replayAt, setReplayAt] = createSignal<number | undefined>();
    let newestExchTs = 0;

    const scope = createRoomScope(ns, () => conn);
    const { sub, unsub } = scope;
    const candles = createCandleRooms({
      send: (op) => conn.send(op), sub, unsub, request: () => live.request(), replay: ns !== "", ...(opts.fetchLake ? { fetchLake: opts.fetchLake } : {}),
    });
    const watched = createWatchedRooms({ sub, unsub });

    live.onFlush(() => {
      panels.flush();
      candles.flush();
      if (newestTs) setLastFrameTs(newestTs);
      if (ns && newestExchTs) setReplayAt(newestExchTs);
      personal.check(market);
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
        candles.resync(f.room, f.reason);
      } else if (f.type === "history") {
        candles.history(f);
      } else if (f.type === "error") {
        candles.error(f.message);
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
      } else if (panels.route(room, data)) {
        // movers, topcoins, markets, pulse, alerts
      } else if (room.startsWith("book.") || room.startsWith("trades.")) {
        watched.set(room, data);
      } else {
        candles.update(room, data);
      }
    };

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
        else candles.connected();
        setStatus(s);
        setDisconnectedAt(conn.disconnectedAt);
      }),
      onBadFrame: (e) => setLastError(e.message),
    });

    // Always on: the symbol list and market-wide values (sorting, bar chart, portfolio).
    sub([rooms.tickerAll]);

    return {
      market, live, conn, status, ...panels, ...personal,
      /** The replay watched (`?replay=`), and the lake time of its newest tick; undefined when live. */
      replayId: opts.replayId, replayAt, disconnectedAt, lastFrameTs, lastError,
      use: scope.use, setVisibleSymbols: scope.setVisibleSymbols, visibleRooms: scope.visibleRooms,
      useCandles: candles.useCandles, watchRoom: watched.watchRoom,
      stale: () => status() !== "connected" || live.delayedFor() !== undefined,
      start: () => conn.start(),
      reconnectNow: () => conn.reconnectNow(),
      dispose: () => { conn.stop(); candles.dispose(); dispose(); },
    };
  });
}
