import { describe, expect, it } from "vitest";
import type { CandleData } from "../../../lib/contracts/protocol.ts";
import { AlertFeed, withoutCoin } from "./alerts.ts";
import { CandleSeries } from "./candles.ts";

const candle = (start: number, close: number | null, final = true): CandleData => ({
  symbol: "BTC-USD", start, open: close, high: close, low: close, close, volume: 1, trades: close === null ? 0 : 1, empty: close === null, final,
});

describe("CandleSeries", () => {
  it("merges history and live updates of the same minute by start time", () => {
    const s = new CandleSeries("BTC-USD");
    s.upsert(candle(120_000, 3, false));
    s.upsert(candle(0, 1));
    s.upsert(candle(60_000, 2));
    s.upsert(candle(120_000, 4, false));
    expect(s.list().map((c) => c.close)).toEqual([1, 2, 4]);
    s.upsert(candle(120_000, 5, true));
    expect(s.list().at(-1)).toMatchObject({ close: 5, final: true });
  });

  it("keeps the better source per minute whatever the arrival order: live/ROOMLOG over lake over venue klines", () => {
    const venue = (start: number, close: number): CandleData => ({ ...candle(start, close), source: "venue" });
    const s = new CandleSeries("BTC-USD");
    // Venue klines first (a fresh start's history), then the lake, then ROOMLOG for the newest minute.
    for (const m of [0, 1, 2]) s.upsert(venue(m * 60_000, 10 + m));
    expect(s.upsert(candle(0, 20), "lake")).toBe(true);
    expect(s.upsert(candle(60_000, 21, false), "lake")).toBe(true);
    expect(s.upsert(candle(120_000, 32))).toBe(true);
    expect(s.list().map((c) => c.close)).toEqual([20, 21, 32]);
    // Late arrivals of worse sources change nothing; a live in-progress candle still beats a final lake one.
    expect(s.upsert(venue(0, 99))).toBe(false);
    expect(s.upsert(candle(120_000, 98), "lake")).toBe(false);
    expect(s.upsert(candle(60_000, 31, false))).toBe(true);
    expect(s.list().map((c) => c.close)).toEqual([20, 31, 32]);
    // Within the lake, a final candle is not replaced by an in-progress one; clear() forgets the ranks.
    expect(s.upsert(candle(0, 97, false), "lake")).toBe(false);
    s.clear();
    expect(s.upsert(venue(0, 5))).toBe(true);
    expect(s.list().map((c) => c.close)).toEqual([5]);
  });

  it("turns closes into chart points, skipping empty minutes", () => {
    const s = new CandleSeries("BTC-USD");
    s.upsert(candle(0, 1));
    s.upsert(candle(60_000, null));
    s.upsert(candle(120_000, 3));
    expect(s.closes()).toEqual([{ x: 0, y: 1 }, { x: 120_000, y: 3 }]);
  });

  it("ignores other symbols' candles and keeps at most `max` minutes", () => {
    const s = new CandleSeries("BTC-USD", 3);
    expect(s.upsert({ ...candle(0, 1), symbol: "ETH-USD" })).toBe(false);
    for (let i = 0; i < 5; i++) s.upsert(candle(i * 60_000, i));
    expect(s.list().map((c) => c.close)).toEqual([2, 3, 4]);
  });
});

describe("AlertFeed", () => {
  const alert = (id: string, at: number) => ({ id, symbol: "BTC-USD", kind: "surge", message: "up", at });

  it("lists alerts newest first, even when a replay delivers older ones later", () => {
    const f = new AlertFeed();
    f.add(alert("b", 2));
    f.add(alert("c", 3));
    f.add(alert("a", 1));
    expect(f.list().map((a) => a.id)).toEqual(["c", "b", "a"]);
  });

  it("drops duplicates and malformed alerts, and keeps only the newest `max`", () => {
    const f = new AlertFeed(2);
    expect(f.add(alert("a", 1))).toBe(true);
    expect(f.add(alert("a", 1))).toBe(false);
    expect(f.add({ id: 3 })).toBe(false);
    f.add(alert("b", 2));
    f.add(alert("c", 3));
    expect(f.list().map((a) => a.id)).toEqual(["c", "b"]);
  });
});

describe("withoutCoin()", () => {
  it("drops the coin or symbol the message starts with (the feed shows the symbol beside it)", () => {
    expect(withoutCoin("BTC surged +11.00% in 24 h on coinbase (threshold 10%)", "BTC-USD")).toBe("surged +11.00% in 24 h on coinbase (threshold 10%)");
    expect(withoutCoin("VXLM-USD plunged -12.00% in 24 h", "VXLM-USD")).toBe("plunged -12.00% in 24 h");
    expect(withoutCoin("Bitcoin is up", "BTC-USD")).toBe("Bitcoin is up");
  });
});
