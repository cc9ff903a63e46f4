import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CandleData } from "../contracts/protocol.ts";
import { lakeCandleRange, lakeCandles, lakeFiles } from "./candles.ts";
import { hourIndex } from "./partition.ts";
import { type LakeTickRow as TickRow, type LakeTradeRow as TradeRow, writeLake } from "../../test/lake-files.ts";

const H = 3_600_000;
const M = 60_000;
/** 05:00 UTC: the fixture spans 04:50 → 06:10, across two hour boundaries, with 05:20–05:30 left out. */
const T0 = Date.UTC(2026, 11, 3, 5, 0, 0);

/** The expected candles, computed from the rows alone (the rule in candles.ts's header). */
function expected(symbol: string, rows: Array<{ ts: number; price: number; vol: number; seq: number }>, iv: number, from: number, to: number, source: "trades" | "ticker"): CandleData[] {
  const by = new Map<number, typeof rows>();
  for (const r of rows) {
    if (r.ts < from || r.ts >= to) continue;
    const s = Math.floor(r.ts / iv) * iv;
    by.set(s, [...(by.get(s) ?? []), r]);
  }
  return [...by.keys()].sort((a, b) => a - b).map((s) => {
    const l = by.get(s)!.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    return {
      symbol, start: s, open: l[0]!.price, high: Math.max(...l.map((r) => r.price)), low: Math.min(...l.map((r) => r.price)),
      close: l.at(-1)!.price, volume: Math.round(l.reduce((a, r) => a + r.vol, 0) * 1e8) / 1e8, trades: l.length, empty: false,
      final: true, tf: iv === M ? "1m" : iv === 5 * M ? "5m" : "1h", source,
    };
  });
}

describe("lakeCandles (real DuckDB over Parquet files in the lake layout)", () => {
  let dir: string;
  const ticks: TickRow[] = [];
  const trades: TradeRow[] = [];
  /** ETH-USD's ticks as the aggregation must count them: volume = rise of volume24h (first tick 0). */
  const ethCounted: Array<{ ts: number; price: number; vol: number; seq: number }> = [];
  const btcTrades: Array<{ ts: number; price: number; vol: number; seq: number }> = [];
  let seq = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-lake-candles-"));
    let vol = 1000;
    let prev: number | undefined;
    // Every 7 s from 04:50 to 06:10 except 05:20–05:30 (no partition is missing: other symbols tick there).
    for (let i = 0, ts = T0 - 10 * M; ts < T0 + 70 * M; i++, ts += 7000) {
      const gap = ts >= T0 + 20 * M && ts < T0 + 30 * M;
      const price = 3000 + Math.round(Math.sin(i / 5) * 5000) / 100;
      if (!gap) {
        // Volume24h falls now and then (old trades leave the window): falls add nothing.
        vol += i % 9 === 0 ? -3 : 1.25;
        ticks.push({ symbol: "ETH-USD", venue: "coinbase", ts, price, volume24h: vol, seq: ++seq });
        ethCounted.push({ ts, price, vol: prev === undefined ? 0 : Math.max(0, vol - prev), seq });
        prev = vol;
        // Degraded CoinGecko prices of the same symbol are not trades.
        if (i % 4 === 0) ticks.push({ symbol: "ETH-USD", venue: "coingecko", ts, price: 1, seq: ++seq });
      }
      // BTC-USD: binance sends trades, so its ticks (wild prices) must not count.
      ticks.push({ symbol: "BTC-USD", venue: "binance", ts, price: 1e6, lastSize: 99, seq: ++seq });
      for (let k = 0; k < 2; k++) {
        const p = 90_000 + ((i * 37 + k * 11) % 200);
        trades.push({ symbol: "BTC-USD", venue: "binance", ts: ts + k * 1000, price: p, size: 0.001 * (k + 1), seq: ++seq });
        btcTrades.push({ ts: ts + k * 1000, price: p, vol: 0.001 * (k + 1), seq });
      }
    }
    // SOL-USD ticks at 06:05, 07:05 (two) and 09:05: the lake holds nothing at all of 08:00–09:00.
    ticks.push({ symbol: "SOL-USD", venue: "kraken", ts: T0 + 65 * M, price: 200, seq: ++seq });
    ticks.push({ symbol: "SOL-USD", venue: "kraken", ts: T0 + 125 * M, price: 201, seq: ++seq });
    ticks.push({ symbol: "SOL-USD", venue: "kraken", ts: T0 + 125 * M + 1000, price: 202, seq: ++seq });
    ticks.push({ symbol: "SOL-USD", venue: "kraken", ts: T0 + 245 * M, price: 203, seq: ++seq });
    await writeLake(join(dir, "lake"), ticks, trades);
  }, 30_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lakeFiles lists only the hour partitions that overlap the range", async () => {
    const lake = join(dir, "lake");
    const five = await lakeFiles(lake, "ticks", T0, T0 + H);
    expect(five.length).toBeGreaterThan(0);
    expect(five.every((f) => f.path.includes("/hour=5/") && f.hour === hourIndex(T0))).toBe(true);
    const both = await lakeFiles(lake, "ticks", T0 - M, T0 + M);
    expect(new Set(both.map((f) => f.hour))).toEqual(new Set([hourIndex(T0) - 1, hourIndex(T0)]));
    expect(await lakeFiles(lake, "trades", T0 + 10 * H, T0 + 11 * H)).toEqual([]);
  });

  it("counts each tick of a venue without trades as one trade, volume the rise of volume24h, CoinGecko left out", async () => {
    const from = T0 - 10 * M;
    const to = T0 + 20 * M;
    const got = await lakeCandles(join(dir, "lake"), { symbol: "ETH-USD", tf: "1m", limit: 30, before: to }, T0 + 5 * H);
    const want = expected("ETH-USD", ethCounted, M, from, to, "ticker");
    expect(got).toHaveLength(30);
    expect(got).toEqual(want);
    expect(got.some((c) => c.volume === 0 && !c.empty)).toBe(false);
  });

  it("counts a venue's trades when it sends them, not its ticks, across the hour boundary at 5m", async () => {
    const from = T0 - 10 * M;
    const to = T0 + 20 * M;
    const got = await lakeCandles(join(dir, "lake"), { symbol: "BTC-USD", tf: "5m", limit: 6, before: to }, T0 + 5 * H);
    expect(got).toEqual(expected("BTC-USD", btcTrades, 5 * M, from, to, "trades"));
    expect(got.map((c) => c.start)).toEqual([-10, -5, 0, 5, 10, 15].map((m) => T0 + m * M));
  });

  it("marks periods without ticks as empty between data and invents nothing before or after", async () => {
    const got = await lakeCandles(join(dir, "lake"), { symbol: "ETH-USD", tf: "1m", limit: 60, before: T0 + 40 * M }, T0 + 5 * H);
    const byStart = new Map(got.map((c) => [c.start, c]));
    for (let m = 20; m < 30; m++) {
      expect(byStart.get(T0 + m * M)).toEqual({ symbol: "ETH-USD", start: T0 + m * M, open: null, high: null, low: null, close: null, volume: 0, trades: 0, empty: true, final: true, tf: "1m" });
    }
    expect(got[0]!.start).toBe(T0 - 10 * M);
    expect(got).toHaveLength(50);
    expect(got.filter((c) => !c.empty)).toEqual(expected("ETH-USD", ethCounted, M, T0 - 20 * M, T0 + 40 * M, "ticker"));
  });

  it("marks an empty period in hours the lake holds nothing of as down (no data, not no trades)", async () => {
    const got = await lakeCandles(join(dir, "lake"), { symbol: "SOL-USD", tf: "1h", limit: 4, before: T0 + 5 * H }, T0 + 5 * H);
    expect(got.map((c) => [c.start - T0, c.empty, c.down ?? false, c.close, c.final])).toEqual([
      [H, false, false, 200, true], [2 * H, false, false, 202, true], [3 * H, true, true, null, true], [4 * H, false, false, 203, false],
    ]);
    const minutes = await lakeCandles(join(dir, "lake"), { symbol: "SOL-USD", tf: "1m", limit: 70, before: T0 + 126 * M }, T0 + 5 * H);
    const empties = minutes.filter((c) => c.empty);
    // 06:06–06:59 fall in hour 6 (held: ETH/BTC files), 07:00–07:04 in hour 7 (held: SOL's own file); the lake has every hour.
    expect(empties.every((c) => c.down === undefined)).toBe(true);
    expect(minutes.at(-1)).toMatchObject({ start: T0 + 125 * M, open: 201, close: 202, trades: 2, final: false });
  });

  it("pages back: before = a candle start excludes that candle; the newest periods are final: false", async () => {
    const lake = join(dir, "lake");
    const page = await lakeCandles(lake, { symbol: "BTC-USD", tf: "1m", limit: 5, before: T0 }, T0 + 5 * H);
    expect(page.map((c) => c.start)).toEqual([-5, -4, -3, -2, -1].map((m) => T0 + m * M));
    const tail = await lakeCandles(lake, { symbol: "BTC-USD", tf: "1m", limit: 3 }, T0 + 70 * M + 30_000);
    // The newest BTC trade is at 06:09:56: the 06:09 minute has no archived tick after its end.
    expect(tail.map((c) => [c.start - T0, c.final])).toEqual([[68 * M, true], [69 * M, false]]);
  });

  it("answers [] for a range the lake does not reach and throws a RangeError for a bad query", async () => {
    expect(await lakeCandles(join(dir, "lake"), { symbol: "BTC-USD", tf: "1m", limit: 10, before: T0 - 3 * H })).toEqual([]);
    expect(await lakeCandles(join(dir, "nowhere"), { symbol: "BTC-USD" })).toEqual([]);
    expect(() => lakeCandleRange({ symbol: "BTC/USD" }, T0)).toThrow(RangeError);
    expect(() => lakeCandleRange({ symbol: "BTC-USD", limit: 0 }, T0)).toThrow(/limit must be an integer 1..1500/);
    expect(() => lakeCandleRange({ symbol: "BTC-USD", tf: "2m" as never }, T0)).toThrow(/tf must be one of/);
    expect(() => lakeCandleRange({ symbol: "BTC-USD", tf: "toString" as never }, T0)).toThrow(RangeError);
    expect(lakeCandleRange({ symbol: "BTC-USD", tf: "1d", limit: 1500 }, T0)).toMatchObject({ from: Date.UTC(2026, 9, 3), to: Date.UTC(2026, 11, 4) });
  });
});
