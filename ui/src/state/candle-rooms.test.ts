import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CandleData } from "../../../lib/contracts/protocol.ts";
import { encodeRoomUpdate } from "../../../lib/contracts/rooms.ts";
import { FakeSocket } from "../../test/fake-socket.ts";
import type { LakeCandleRequest } from "../core/lake.ts";
import { HISTORY_LIMIT } from "./candle-rooms.ts";
import { createDashboard, type DashboardOptions } from "./dashboard.ts";

const M = 60_000;
/** "Now" of the tests: the forming minute starts here. */
const NOW = 1_000 * M;
const room = "candles.BTC-USD.1m";
const k = (start: number, close: number, extra: Partial<CandleData> = {}): CandleData => ({
  symbol: "BTC-USD", start, open: close, high: close, low: close, close, volume: 1, trades: 1, empty: false, final: true, tf: "1m", ...extra,
});

/** A lake double: records each request and answers it when the test says so. */
function lake() {
  const asked: Array<{ q: LakeCandleRequest; answer: (c: CandleData[]) => Promise<void>; fail: () => Promise<void> }> = [];
  const fetchLake = (q: LakeCandleRequest) => new Promise<CandleData[]>((resolve, reject) => {
    asked.push({ q, answer: async (c) => { resolve(c); await Promise.resolve(); }, fail: async () => { reject(new Error("503")); await Promise.resolve(); } });
  });
  return { asked, fetchLake };
}

function open(extra: Partial<DashboardOptions> = {}) {
  const l = lake();
  const d = createDashboard({ url: "ws://x/ws", createSocket: (u) => new FakeSocket(u), fetchLake: l.fetchLake, ...extra });
  d.start();
  const s = FakeSocket.last();
  s.open();
  return { d, s, l };
}

const starts = (list: CandleData[]) => list.map((c) => c.start);

describe("candle history from ROOMLOG, the lake and venue klines", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  it("asks the lake, after the history answer, only for what precedes ROOMLOG's oldest candle, and merges all three without gaps or duplicates", async () => {
    const { d, s, l } = open();
    const h = d.useCandles("BTC-USD");
    expect(l.asked).toHaveLength(0);
    // ROOMLOG holds the last 5 minutes (the newest forming); the ranker put venue klines before them.
    const venue = Array.from({ length: 10 }, (_, i) => k(NOW - (15 - i) * M, 100 + i, { source: "venue" }));
    const roomlog = Array.from({ length: 5 }, (_, i) => k(NOW - (4 - i) * M, 200 + i, { source: "trades", final: i < 4 }));
    s.receive(JSON.stringify({ type: "history", room, data: [...venue, ...roomlog] }));
    expect(l.asked.map((a) => a.q)).toEqual([{ symbol: "BTC-USD", tf: "1m", limit: HISTORY_LIMIT - 5, before: NOW - 4 * M }]);
    // The lake holds 12 minutes before ROOMLOG's first; its newest (NOW-5m) is still filling.
    const fromLake = Array.from({ length: 12 }, (_, i) => k(NOW - (16 - i) * M, 300 + i, { source: "trades", final: i < 11 }));
    await l.asked[0]!.answer(fromLake);
    vi.advanceTimersByTime(100);
    const list = h.series.list();
    // One candle per minute from the lake's first to the forming one: no gap, no duplicate.
    expect(starts(list)).toEqual(Array.from({ length: 17 }, (_, i) => NOW - (16 - i) * M));
    // Lake over venue klines, ROOMLOG over lake.
    expect(list.map((c) => c.close)).toEqual([...fromLake.map((c) => c.close), 200, 201, 202, 203, 204]);
    expect(h.version()).toBeGreaterThan(0);
    // A live update of the forming minute lands in place.
    s.receive(encodeRoomUpdate(room, 1, 1, k(NOW, 250, { source: "trades", final: false })));
    vi.advanceTimersByTime(100);
    expect(h.series.list().at(-1)).toMatchObject({ start: NOW, close: 250 });
    expect(h.series.size).toBe(17);
    h.release();
    d.dispose();
  });

  it("does not ask the lake when ROOMLOG covers the whole first page", () => {
    const { d, s, l } = open();
    d.useCandles("BTC-USD");
    const full = Array.from({ length: HISTORY_LIMIT }, (_, i) => k(NOW - (HISTORY_LIMIT - 1 - i) * M, 1, { source: "trades" }));
    s.receive(JSON.stringify({ type: "history", room, data: full }));
    expect(l.asked).toHaveLength(0);
    d.dispose();
  });

  it("asks the lake for the whole page when the ranker cannot answer, and again after a reconnect when the lake failed", async () => {
    const { d, s, l } = open();
    const h = d.useCandles("BTC-USD", "1h");
    s.receive(JSON.stringify({ type: "error", code: "unavailable", message: "history: timeout" }));
    expect(l.asked.map((a) => a.q)).toEqual([{ symbol: "BTC-USD", tf: "1h", limit: HISTORY_LIMIT }]);
    await l.asked[0]!.fail();
    s.drop();
    vi.advanceTimersByTime(1000);
    const s2 = FakeSocket.last();
    s2.open();
    // The history op is asked again (not loaded yet); the lake once its answer is in.
    expect(s2.ops("history")).toEqual([{ op: "history", room: "candles.BTC-USD.1h", limit: HISTORY_LIMIT }]);
    s2.receive(JSON.stringify({ type: "history", room: "candles.BTC-USD.1h", data: [] }));
    expect(l.asked).toHaveLength(2);
    await l.asked[1]!.answer([k(0, 7, { tf: "1h" })]);
    vi.advanceTimersByTime(100);
    expect(h.series.list().map((c) => c.close)).toEqual([7]);
    d.dispose();
  });

  it("pages back from ROOMLOG/klines and the lake at once, never asks the lake twice for a page, and drops an answer for a chart already closed", async () => {
    const { d, s, l } = open();
    const h = d.useCandles("BTC-USD");
    s.receive(JSON.stringify({ type: "history", room, data: [k(NOW - M, 1, { source: "trades" }), k(NOW, 2, { source: "trades", final: false })] }));
    expect(l.asked.map((a) => a.q)).toEqual([{ symbol: "BTC-USD", tf: "1m", limit: HISTORY_LIMIT - 2, before: NOW - M }]);
    // The chart pages back before that answer (its window reaches left of the first candle): the history op
    // pages back, the lake request in flight already covers that page.
    h.loadOlder();
    expect(s.ops("history").at(-1)).toEqual({ op: "history", room, limit: HISTORY_LIMIT, before: NOW - M });
    expect(l.asked).toHaveLength(1);
    // The klines page arrives first, the lake's after: the lake wins where both have a minute.
    s.receive(JSON.stringify({ type: "history", room, data: [k(NOW - 3 * M, 10, { source: "venue" }), k(NOW - 2 * M, 11, { source: "venue" })] }));
    await l.asked[0]!.answer([k(NOW - 2 * M, 21, { source: "ticker" })]);
    expect(h.series.list().map((c) => c.close)).toEqual([10, 21, 1, 2]);
    // The next page: both asked once, however often the chart asks.
    h.loadOlder();
    h.loadOlder();
    expect(l.asked.map((a) => a.q.before)).toEqual([NOW - M, NOW - 3 * M]);
    expect(l.asked[1]!.q).toEqual({ symbol: "BTC-USD", tf: "1m", limit: HISTORY_LIMIT, before: NOW - 3 * M });
    h.release();
    await l.asked[1]!.answer([k(NOW - 4 * M, 99)]);
    expect(h.series.list().map((c) => c.close)).toEqual([10, 21, 1, 2]);
    d.dispose();
  });

  it("never asks the lake while watching a replay", () => {
    const { d, s, l } = open({ replayId: "r1" });
    d.useCandles("BTC-USD");
    s.receive(JSON.stringify({ type: "error", code: "unavailable", message: "history: timeout" }));
    expect(l.asked).toHaveLength(0);
    d.dispose();
  });
});
