import { describe, expect, it } from "vitest";
import { perCoin } from "./movers.ts";

describe("movers per coin", () => {
  it("shows a coin listed on two venues once, naming the other market", () => {
    const rows = [
      { symbol: "SHIB-USD", price: 1, change24hPct: 12 },
      { symbol: "SHIB-USDT", price: 1, change24hPct: 11.9 },
      { symbol: "ATOM-USDT", price: 8, change24hPct: 9 },
    ];
    expect(perCoin(rows).map((r) => [r.symbol, r.also])).toEqual([["SHIB-USD", ["SHIB-USDT"]], ["ATOM-USDT", []]]);
    expect(perCoin(undefined)).toEqual([]);
  });
});
