/**
 * Candle rooms of the dashboard: one CandleSeries per `candles.<SYM>.<tf>` room a chart
 * holds, filled by the `history` op (ROOMLOG, then venue klines) and by the room's live
 * updates, and re-asked after a reconnect or a refused history request.
 */
import { createSignal, type Accessor } from "solid-js";
import type { ServerFrame } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { CandleSeries } from "../core/candles.ts";

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

export interface CandleRoomsDeps {
  /** Send a client op (the `history` op). */
  send(op: { op: "history"; room: string; limit: number; before?: number }): void;
  sub(rooms: string[]): void;
  unsub(rooms: string[]): void;
  /** Ask for a flush (the stores changed). */
  request(): void;
  /** Watching a replay: no history is asked for. */
  replay: boolean;
}

interface CandleEntry { series: CandleSeries; room: string; refs: number; version: Accessor<number>; bump: () => void; dirty: boolean; loaded: boolean }

export function createCandleRooms(d: CandleRoomsDeps) {
  /** By room (`candles.<SYM>.<tf>`). */
  const candles = new Map<string, CandleEntry>();
  let historyRetry: ReturnType<typeof setTimeout> | undefined;
  /** Ask the edge for the past candles of a room (24 h of 1m = 1440; other timeframes as many). */
  const askHistory = (c: CandleEntry, before?: number) => d.replay ? undefined :
    d.send({ op: "history", room: c.room, limit: HISTORY_LIMIT, ...(before !== undefined ? { before } : {}) });

  return {
    /** Bump the version of every series that changed since the last flush. */
    flush(): void {
      for (const c of candles.values()) if (c.dirty) { c.dirty = false; c.bump(); }
    },
    /** A live candle update of `room`; false when no chart holds that room. */
    update(room: string, data: unknown): boolean {
      const c = candles.get(room);
      if (!c) return false;
      if (c.series.upsert(data as never)) { c.dirty = true; d.request(); }
      return true;
    },
    /** The answer to a `history` op. */
    history(f: Extract<ServerFrame, { type: "history" }>): void {
      const c = candles.get(f.room);
      if (!c) return;
      for (const x of f.data) c.series.upsert(x as never);
      c.loaded = true;
      c.dirty = true;
      d.request();
    },
    /** A stream-room gap older than the edge's replay window: start the series over. */
    resync(room: string, reason: string): void {
      const c = candles.get(room);
      if (c && reason === "too_old") { c.series.clear(); c.dirty = true; d.request(); }
    },
    /** An error frame: a history request the edge could not answer now (ranker busy, rate limit) is asked again shortly. */
    error(message: string): void {
      if (message.startsWith("history") || message.includes("history requests")) {
        clearTimeout(historyRetry);
        historyRetry = setTimeout(() => { for (const c of candles.values()) if (!c.loaded) askHistory(c); }, 3000);
      }
    },
    /** (Re)connected: ask history for every series that has none yet. */
    connected(): void {
      for (const c of candles.values()) if (!c.loaded) askHistory(c);
    },
    /** Candles of a symbol and timeframe: history (the `history` op), then live from the room. */
    useCandles(symbol: string, tf = "1m"): CandleHandle {
      const room = rooms.candles(symbol, tf);
      let c = candles.get(room);
      if (!c) {
        const [version, setVersion] = createSignal(0);
        c = { series: new CandleSeries(symbol), room, refs: 0, version, bump: () => setVersion((v) => v + 1), dirty: false, loaded: false };
        candles.set(room, c);
        askHistory(c);
      }
      c.refs++;
      d.sub([room]);
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
          d.unsub([room]);
          if (--entry.refs === 0) candles.delete(room);
        },
      };
    },
    dispose(): void {
      clearTimeout(historyRetry);
    },
  };
}
