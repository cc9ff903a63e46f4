import { describe, expect, it } from "vitest";
import { Trend, Volatility, type PulseData } from "../../../lib/contracts/protocol.ts";
import { pulseView, sortPulse } from "./pulse.ts";

type Row = PulseData["coins"][number];
const r = (symbol: string, avgPrice: number, trend: Row["trend"] = "Stable", extra: Partial<Row> = {}): Row =>
  ({ symbol, avgPrice, avgChange24hPct: 1, maxVolume24h: 1, volatility: "Stable", trend, ticks: 10, ...extra });
const win = (start: number, coins: Row[]): PulseData => ({ windowStart: start, windowEnd: start + 30_000, coins });

describe("pulseView()", () => {
  it("adds each coin's move since the window before and the labels it had, when they changed", () => {
    const prev = win(0, [r("BTC", 100, "Stable"), r("ETH", 10, "Rising", { volatility: "Moving" })]);
    const cur = win(30_000, [r("BTC", 102, "Rising"), r("ETH", 9.9, "Rising"), r("SOL", 5)]);
    const v = pulseView(cur, prev);
    expect(v.map((x) => [x.symbol, x.movePct === undefined ? undefined : Number(x.movePct.toFixed(2)), x.trendBefore, x.volatilityBefore]))
      .toEqual([["BTC", 2, "Stable", undefined], ["ETH", -1, undefined, "Moving"], ["SOL", undefined, undefined, undefined]]);
  });

  it("ignores a 'previous' window that is not before this one", () => {
    const cur = win(30_000, [r("BTC", 102)]);
    expect(pulseView(cur, win(30_000, [r("BTC", 100)]))[0]!.movePct).toBeUndefined();
    expect(pulseView(undefined, cur)).toEqual([]);
  });
});

describe("sortPulse()", () => {
  it("knows every label of the contract (its scales are copies, to keep zod out of the bundle)", () => {
    const ranked = sortPulse(Trend.flatMap((t) => pulseView(win(0, [r(t, 1, t)]), undefined)), "trend", "desc").map((x) => x.trend);
    expect(ranked).toEqual([...Trend]);
    const vols = sortPulse(Volatility.flatMap((v) => pulseView(win(0, [r(v, 1, "Stable", { volatility: v })]), undefined)), "volatility", "asc").map((x) => x.volatility);
    expect(vols).toEqual([...Volatility]);
  });

  const prev = win(0, [r("A", 100), r("B", 100), r("C", 100)]);
  const rows = pulseView(win(30_000, [r("A", 101, "Surging", { marketCap: 5 }), r("B", 97, "Crashing", { marketCap: 9 }), r("C", 100.5), r("D", 1)]), prev);
  it("puts the biggest moves first (either direction), coins without one last", () => {
    expect(sortPulse(rows, "move", "desc").map((x) => x.symbol)).toEqual(["B", "A", "C", "D"]);
  });
  it("orders trends from surging to crashing and market caps largest first", () => {
    expect(sortPulse(rows, "trend", "desc").map((x) => x.symbol)).toEqual(["A", "C", "D", "B"]);
    expect(sortPulse(rows, "marketCap", "desc").map((x) => x.symbol)).toEqual(["B", "A", "C", "D"]);
    expect(sortPulse(rows, "symbol", "desc").map((x) => x.symbol)).toEqual(["D", "C", "B", "A"]);
  });
});
