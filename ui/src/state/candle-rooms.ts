/**
 * Candle rooms of the dashboard: one CandleSeries per `candles.<SYM>.<tf>` room a chart
 * holds, filled by the `history` op (ROOMLOG, then venue klines), the lake (`GET
 * /candles`) and the room's live updates, and re-asked after a reconnect or a refused
 * history request.
 *
 * The lake is asked for what ROOMLOG does not hold: once the first `history` answer is
 * in, for the candles before its oldest ROOMLOG candle (none when ROOMLOG covers the
 * whole HISTORY_LIMIT: no DuckDB scan per chart open in steady state); at once when the
 * ranker cannot answer; and beside `history` on every page back. The series keeps per
 * start the better source (core/candles.ts), so the pieces meet without gaps or
 * duplicates whatever order they arrive in.
 */
import { createSignal, type Accessor } from "solid-js";
import type { CandleData, ServerFrame } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { CandleSeries } from "../core/candles.ts";
import type { LakeCandleRequest } from "../core/lake.ts";

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
  /** Candles from the lake (`GET /candles`); rejects when the edge cannot answer. None: no lake. */
  fetchLake?: (q: LakeCandleRequest) => Promise<CandleData[]>;
  /** Send a client op (the `history` op). */
  send(op: { op: "history"; room: string; limit: number; before?: number }): void;
  sub(rooms: string[]): void;
  unsub(rooms: string[]): void;
  /** Ask for a flush (the stores changed). */
  request(): void;
  /** Watching a replay: no history is asked for. */
  replay: boolean;
}

interface CandleEntry {
  series: CandleSeries; room: string; symbol: string; tf: string; refs: number; version: Accessor<number>; bump: () => void; dirty: boolean;
  /** The first `history` answer is in. */
  loaded: boolean;
  /** The lake was asked for the open range (answered or in flight). */
  lakeAsked: boolean;
  /** `before` of every lake request answered or in flight (undefined: up to now), so a page back never asks twice. */
  lakeBefore: Set<number | undefined>;
}

export function createCandleRooms(d: CandleRoomsDeps) {
  /** By room (`candles.<SYM>.<tf>`). */
  const candles = new Map<string, CandleEntry>();
  let historyRetry: ReturnType<typeof setTimeout> | undefined;
  /** Ask the edge for the past candles of a room (24 h of 1m = 1440; other timeframes as many). */
  const askHistory = (c: CandleEntry, before?: number) => d.replay ? undefined :
    d.send({ op: "history", room: c.room, limit: HISTORY_LIMIT, ...(before !== undefined ? { before } : {}) });
  /** Ask the lake; a failure is forgotten (`onFail`), the next reconnect or page asks again. */
  const askLake = (c: CandleEntry, limit: number, before: number | undefined, onFail?: () => void) => {
    if (d.replay || !d.fetchLake || limit < 1 || c.lakeBefore.has(before)) return;
    c.lakeBefore.add(before);
    d.fetchLake({ symbol: c.symbol, tf: c.tf, limit, ...(before !== undefined ? { before } : {}) }).then((list) => {
      if (candles.get(c.room) !== c) return; // released meanwhile
      let changed = false;
      for (const x of list) changed = c.series.upsert(x, "lake") || changed;
      if (changed) { c.dirty = true; d.request(); }
    }, () => {
      c.lakeBefore.delete(before);
      onFail?.();
    });
  };
  /** The open range from the lake: what precedes the oldest ROOMLOG candle held (all of it when there is none). */
  const askLakeOpen = (c: CandleEntry) => {
    if (c.lakeAsked) return;
    c.lakeAsked = true;
    const fromRoomLog = c.series.list().filter((x) => x.source !== "venue");
    askLake(c, HISTORY_LIMIT - fromRoomLog.length, fromRoomLog[0]?.start, () => { c.lakeAsked = false; });
  };

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
      askLakeOpen(c);
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
        // Meanwhile the lake alone: what it holds is better than an empty chart.
        for (const c of candles.values()) if (!c.loaded) askLakeOpen(c);
      }
    },
    /** (Re)connected: ask history for every series that has none yet, and the lake where it failed. */
    connected(): void {
      for (const c of candles.values()) {
        if (!c.loaded) askHistory(c);
        else askLakeOpen(c);
      }
    },
    /** Candles of a symbol and timeframe: history (the `history` op), then live from the room. */
    useCandles(symbol: string, tf = "1m"): CandleHandle {
      const room = rooms.candles(symbol, tf);
      let c = candles.get(room);
      if (!c) {
        const [version, setVersion] = createSignal(0);
        c = { series: new CandleSeries(symbol), room, symbol, tf, refs: 0, version, bump: () => setVersion((v) => v + 1), dirty: false, loaded: false, lakeAsked: false, lakeBefore: new Set() };
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
          if (!first) return;
          askHistory(entry, first.start);
          askLake(entry, HISTORY_LIMIT, first.start);
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
