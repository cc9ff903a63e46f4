import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encodeRoomUpdate } from "../../../lib/contracts/rooms.ts";
import { FakeSocket } from "../../test/fake-socket.ts";
import { createDashboard } from "./dashboard.ts";

const ticker = (symbol: string, price: number, exchTs = 1) => ({ symbol, venue: "sim", price, exchTs, change24hPct: 1 });

function open() {
  const d = createDashboard({ url: "ws://x/ws", createSocket: (u) => new FakeSocket(u) });
  d.start();
  const s = FakeSocket.last();
  s.open();
  return { d, s };
}

describe("createDashboard", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  it("subscribes ticker.all at start and learns symbols from it", () => {
    const { d, s } = open();
    expect(s.ops("subscribe")[0]).toEqual({ op: "subscribe", rooms: ["ticker.all"] });
    s.receive(encodeRoomUpdate("ticker.all", 1, 1, { tickers: [ticker("BTC-USD", 1), ticker("ETH-USD", 2)] }));
    vi.advanceTimersByTime(100);
    expect(d.live.symbols()).toEqual(["BTC-USD", "ETH-USD"]);
    expect(d.market.price("ETH-USD")).toBe(2);
    d.dispose();
  });

  it("with replayId, asks only for that replay's ticker rooms and applies them as the live ones", () => {
    const d = createDashboard({ url: "ws://x/ws", createSocket: (u) => new FakeSocket(u), replayId: "r1" });
    d.start();
    const s = FakeSocket.last();
    s.open();
    d.setVisibleSymbols(["A-USD"]);
    const release = d.use(["movers", "ticker.B-USD"]);
    d.useCandles("A-USD");
    vi.advanceTimersByTime(200);
    expect(s.sent).toEqual([
      { op: "subscribe", rooms: ["replay.r1.ticker.all"] },
      { op: "subscribe", rooms: ["replay.r1.ticker.A-USD", "replay.r1.ticker.B-USD"] },
    ]);
    s.receive(encodeRoomUpdate("replay.r1.ticker.all", 1, 1, { tickers: [ticker("A-USD", 7, 1_000), ticker("B-USD", 8, 2_000)] }));
    s.receive(encodeRoomUpdate("ticker.all", 1, 1, { tickers: [ticker("LIVE-USD", 1, 9_000)] })); // not in this namespace: ignored
    vi.advanceTimersByTime(100);
    expect(d.live.symbols()).toEqual(["A-USD", "B-USD"]);
    expect(d.market.price("B-USD")).toBe(8);
    expect(d.replayAt()).toBe(2_000);
    release();
    vi.advanceTimersByTime(200);
    expect(s.sent.at(-1)).toEqual({ op: "unsubscribe", rooms: ["replay.r1.ticker.B-USD"] });
    d.dispose();
  });

  it("keeps the markets room as the coin directory, and the pulse window before the current one", () => {
    const { d, s } = open();
    const release = d.use(["markets", "pulse"]);
    s.receive(encodeRoomUpdate("markets", 1, 1, { coins: [{ symbol: "BTC", coin: "bitcoin", name: "Bitcoin", rank: 1, marketCap: 1e12, volume24h: 1, spark: [1, 2] }], asOf: 1 }));
    expect(d.coinsVersion()).toBe(1);
    expect(d.coins.of("BTC-USDT")?.name).toBe("Bitcoin");
    const win = (start: number) => ({ windowStart: start, windowEnd: start + 30_000, coins: [] });
    s.receive(encodeRoomUpdate("pulse", 1, 1, win(0)));
    expect(d.pulsePrev()).toBeUndefined();
    s.receive(encodeRoomUpdate("pulse", 2, 1, win(30_000)));
    s.receive(encodeRoomUpdate("pulse", 2, 1, win(30_000))); // the same window again (a snapshot): not its own predecessor
    expect(d.pulsePrev()?.windowStart).toBe(0);
    expect(d.pulse()?.windowStart).toBe(30_000);
    release();
    d.dispose();
  });

  it("fires a personal price rule on the next price of its symbol, in the page and as a notification", () => {
    const fired: string[] = [];
    const d = createDashboard({ url: "ws://x/ws", createSocket: (u) => new FakeSocket(u), notify: (f) => fired.push(f.message) });
    d.start();
    const s = FakeSocket.last();
    s.open();
    s.receive(encodeRoomUpdate("ticker.all", 1, 1, { tickers: [ticker("BTC-USD", 90_000, 1)] }));
    vi.advanceTimersByTime(100);
    d.addPriceRule({ symbol: "BTC-USD", kind: "above", value: 1 });
    s.receive(encodeRoomUpdate("ticker.all", 2, 2, { tickers: [ticker("BTC-USD", 90_001, 2)] }));
    vi.advanceTimersByTime(100);
    expect(d.firedAlerts().map((f) => f.message)).toEqual(["BTC-USD is above 1: 90001"]);
    expect(fired).toEqual(["BTC-USD is above 1: 90001"]);
    d.dispose();
  });

  it("replaces the per-row ticker rooms as the visible rows change", () => {
    const { d, s } = open();
    d.setVisibleSymbols(["A-USD", "B-USD"]);
    vi.advanceTimersByTime(200);
    d.setVisibleSymbols(["B-USD", "C-USD"]);
    vi.advanceTimersByTime(200);
    expect(s.sent.slice(1)).toEqual([
      { op: "subscribe", rooms: ["ticker.A-USD", "ticker.B-USD"] },
      { op: "unsubscribe", rooms: ["ticker.A-USD"] },
      { op: "subscribe", rooms: ["ticker.C-USD"] },
    ]);
    expect(d.visibleRooms()).toEqual(["ticker.B-USD", "ticker.C-USD"]);
    d.dispose();
  });

  it("asks for a timeframe's history with the history op, fills the series from it, and asks again after an unavailable answer", () => {
    const { d, s } = open();
    const h = d.useCandles("BTC-USD", "1h");
    expect(s.ops("history")).toEqual([{ op: "history", room: "candles.BTC-USD.1h", limit: 1440 }]);
    const k = (start: number, close: number, final = true) => ({ symbol: "BTC-USD", start, open: close, high: close, low: close, close, volume: 1, trades: 1, empty: false, final, tf: "1h" });
    s.receive(JSON.stringify({ type: "error", code: "unavailable", message: "history: timeout" }));
    vi.advanceTimersByTime(3000);
    expect(s.ops("history")).toHaveLength(2);
    s.receive(JSON.stringify({ type: "history", room: "candles.BTC-USD.1h", data: [k(0, 1), k(3_600_000, 2)] }));
    // An in-progress update never replaces a final candle; a newer period is added.
    s.receive(encodeRoomUpdate("candles.BTC-USD.1h", 1, 1, k(3_600_000, 9, false)));
    s.receive(encodeRoomUpdate("candles.BTC-USD.1h", 2, 1, k(7_200_000, 3, false)));
    vi.advanceTimersByTime(100);
    expect(h.series.closes()).toEqual([{ x: 0, y: 1 }, { x: 3_600_000, y: 2 }, { x: 7_200_000, y: 3 }]);
    vi.advanceTimersByTime(5000);
    expect(s.ops("history")).toHaveLength(2);
    h.loadOlder();
    expect(s.ops("history").at(-1)).toEqual({ op: "history", room: "candles.BTC-USD.1h", limit: 1440, before: 0 });
    h.release();
    d.dispose();
  });

  it("loads candle history with since 0 and merges live candles into it", () => {
    const { d, s } = open();
    const h = d.useCandles("BTC-USD");
    vi.advanceTimersByTime(200);
    expect(s.ops("subscribe").at(-1)).toEqual({ op: "subscribe", rooms: ["candles.BTC-USD.1m"], since: { "candles.BTC-USD.1m": 0 } });
    const c = (start: number, close: number, seq: number) =>
      encodeRoomUpdate("candles.BTC-USD.1m", seq, 1, { symbol: "BTC-USD", start, open: close, high: close, low: close, close, volume: 1, trades: 1, empty: false, final: true });
    s.receive(c(0, 1, 1));
    s.receive(c(60_000, 2, 2));
    s.receive(c(60_000, 3, 3));
    vi.advanceTimersByTime(100);
    expect(h.version()).toBeGreaterThan(0);
    expect(h.series.closes()).toEqual([{ x: 0, y: 1 }, { x: 60_000, y: 3 }]);
    h.release();
    vi.advanceTimersByTime(200);
    expect(s.ops("unsubscribe").at(-1)).toEqual({ op: "unsubscribe", rooms: ["candles.BTC-USD.1m"] });
    d.dispose();
  });

  it("keeps the last prices and marks them stale while disconnected", () => {
    const { d, s } = open();
    s.receive(encodeRoomUpdate("ticker.all", 1, 1, { tickers: [ticker("BTC-USD", 5)] }));
    vi.advanceTimersByTime(100);
    s.drop();
    expect(d.status()).toBe("reconnecting");
    expect(d.stale()).toBe(true);
    expect(d.disconnectedAt()).toBeTypeOf("number");
    expect(d.market.price("BTC-USD")).toBe(5);
    vi.advanceTimersByTime(1000);
    FakeSocket.last().open();
    expect(d.stale()).toBe(false);
    d.dispose();
  });

  it("renders quotes that arrived just before a drop in the same flush as the stale state", () => {
    const { d, s } = open();
    s.receive(encodeRoomUpdate("ticker.all", 1, 1, { tickers: [ticker("BTC-USD", 5)] }));
    vi.advanceTimersByTime(100);
    const flushes = d.live.flushes();
    s.receive(encodeRoomUpdate("ticker.all", 2, 2, { tickers: [ticker("BTC-USD", 6)] }));
    s.drop(); // before the 100 ms throttle fired
    expect(d.stale()).toBe(true);
    expect(d.live.flushes()).toBe(flushes + 1);
    vi.advanceTimersByTime(500);
    expect(d.live.flushes()).toBe(flushes + 1); // nothing left to render later
    d.dispose();
  });

  it("routes movers, alerts and watchlist changes into their signals", () => {
    const { d, s } = open();
    const release = d.use(["movers", "alerts"]);
    vi.advanceTimersByTime(200);
    s.receive(encodeRoomUpdate("movers", 1, 1, { gainers: [{ symbol: "A-USD", price: 1, change24hPct: 5 }], losers: [], asOf: 1 }));
    s.receive(encodeRoomUpdate("alerts", 1, 1, { id: "x", symbol: "A-USD", kind: "surge", message: "up", at: 5 }));
    vi.advanceTimersByTime(100);
    expect(d.movers()?.gainers[0]?.symbol).toBe("A-USD");
    expect(d.alerts().map((a) => a.id)).toEqual(["x"]);
    d.toggleWatch("A-USD");
    expect(d.watchlist().has("A-USD")).toBe(true);
    release();
    d.dispose();
  });
});
