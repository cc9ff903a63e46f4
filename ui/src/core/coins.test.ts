import { describe, expect, it } from "vitest";
import { baseOf, CoinDirectory, sparkChange, sparkPoints } from "./coins.ts";
import { filterSymbols, MarketStore, sortSymbols, venuesOf } from "./market.ts";

const row = (symbol: string, rank: number | null, marketCap: number | null, name?: string, spark?: number[]) =>
  ({ symbol, coin: symbol.toLowerCase(), rank, marketCap, volume24h: 1, ...(name ? { name } : {}), ...(spark ? { spark } : {}) });

describe("CoinDirectory", () => {
  it("finds a venue symbol's coin by its base, keeping the best-ranked of a shared ticker", () => {
    const d = new CoinDirectory();
    expect(d.apply({ coins: [row("BTC", 1, 1e12, "Bitcoin"), row("ETH", 2, 4e11, "Ethereum"), row("ETH", 900, 5, "Fake ETH")], asOf: 1 })).toBe(true);
    expect(d.of("BTC-USDT")?.name).toBe("Bitcoin");
    expect(d.of("eth-usd")?.rank).toBe(2);
    expect(d.of("DOGE-USD")).toBeUndefined();
    expect(baseOf("sol")).toBe("SOL");
  });

  it("skips and counts malformed rows, and refuses a payload without coins", () => {
    const d = new CoinDirectory();
    d.apply({ coins: [row("BTC", 1, 1e12), { symbol: "X" }, { ...row("Y", 3, 1), spark: [1, "2"] }, null], asOf: 1 });
    expect(d.size).toBe(1);
    expect(d.bad).toBe(3);
    expect(d.apply({ nope: [] })).toBe(false);
    expect(d.size).toBe(1);
  });
});

describe("sparkPoints()", () => {
  it("maps the lowest price to the bottom and the highest to the top, left to right", () => {
    expect(sparkPoints([1, 3, 2], 12, 10)).toBe("1.0,9.0 6.0,1.0 11.0,5.0");
    expect(sparkPoints([5, 5], 12, 10)).toBe("1.0,5.0 11.0,5.0");
    expect(sparkPoints([5], 12, 10)).toBe("");
    expect(sparkPoints(undefined, 12, 10)).toBe("");
    expect(sparkChange([100, 90, 110])).toBeCloseTo(10);
    expect(sparkChange([1])).toBeUndefined();
  });
});

describe("the grid's sort, search and venue filter with coins", () => {
  const m = new MarketStore();
  m.apply({ symbol: "BTC-USD", venue: "coinbase", price: 100, volume24h: 10, exchTs: 1 });
  m.apply({ symbol: "BTC-USDT", venue: "binance", price: 100, volume24h: 30, exchTs: 1 });
  m.apply({ symbol: "SHIB-USD", venue: "coinbase", price: 0.00001, volume24h: 1e13, exchTs: 1 });
  m.apply({ symbol: "ETH-USDT", venue: "binance", price: 10, volume24h: 1, exchTs: 1 });
  m.apply({ symbol: "NEW-USD", venue: "coinbase", price: 1, volume24h: 1, exchTs: 1 });
  const d = new CoinDirectory();
  d.apply({ coins: [row("BTC", 1, 1e12, "Bitcoin"), row("ETH", 2, 4e11, "Ethereum"), row("SHIB", 15, 5e9, "Shiba Inu")], asOf: 1 });

  it("sorts by market cap (rank order), a coin's venues together by quote volume, coins without a cap last", () => {
    expect(sortSymbols(m.symbols, m.quotes, "mcap", "desc", d)).toEqual(["BTC-USDT", "BTC-USD", "ETH-USDT", "SHIB-USD", "NEW-USD"]);
    expect(sortSymbols(m.symbols, m.quotes, "mcap", "asc", d)).toEqual(["SHIB-USD", "ETH-USDT", "BTC-USDT", "BTC-USD", "NEW-USD"]);
  });

  it("searches names as well as symbols, and keeps only the chosen venue", () => {
    expect(filterSymbols(m.symbols, "bitc", undefined, { coins: d })).toEqual(["BTC-USD", "BTC-USDT"]);
    expect(filterSymbols(m.symbols, "inu", undefined, { coins: d })).toEqual(["SHIB-USD"]);
    expect(filterSymbols(m.symbols, "usdt", undefined, { coins: d })).toEqual(["BTC-USDT", "ETH-USDT"]);
    expect(filterSymbols(m.symbols, "", undefined, { venue: "binance", quotes: m.quotes })).toEqual(["BTC-USDT", "ETH-USDT"]);
    expect(filterSymbols(m.symbols, "bitcoin", undefined, { venue: "coinbase", quotes: m.quotes, coins: d })).toEqual(["BTC-USD"]);
    expect(venuesOf(m.quotes)).toEqual(["binance", "coinbase"]);
  });
});
