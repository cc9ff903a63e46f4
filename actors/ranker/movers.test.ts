import { describe, expect, it } from "vitest";
import { baseOf, MarketIndex, rankMovers, rankTopCoins, type SymbolState } from "./movers.ts";

const s = (symbol: string, change24hPct: number | undefined, volume24h?: number, price = 1, venue = "coinbase"): SymbolState => ({
  symbol, venue, price, ...(change24hPct === undefined ? {} : { change24hPct }), ...(volume24h === undefined ? {} : { volume24h }),
});

describe("rankMovers()", () => {
  it("orders gainers by change descending and losers ascending, ties by symbol", () => {
    const r = rankMovers([s("D-USD", 5), s("B-USD", 5), s("A-USD", 9), s("C-USD", -3), s("E-USD", -3), s("F-USD", -7), s("G-USD", 0)], 10);
    expect(r.gainers.map((x) => x.symbol)).toEqual(["A-USD", "B-USD", "D-USD"]);
    expect(r.losers.map((x) => x.symbol)).toEqual(["F-USD", "C-USD", "E-USD"]);
  });

  it("keeps only the top n and leaves out symbols without a change", () => {
    const r = rankMovers([s("A-USD", 1), s("B-USD", 2), s("C-USD", 3), s("X-USD", undefined)], 2);
    expect(r.gainers.map((x) => x.symbol)).toEqual(["C-USD", "B-USD"]);
    expect(r.losers).toEqual([]);
  });

  it("gives the same answer whatever the input order", () => {
    const xs = [s("B-USD", 5), s("A-USD", 5), s("C-USD", 5)];
    expect(rankMovers(xs, 3)).toEqual(rankMovers([...xs].reverse(), 3));
  });

  it("lists each coin once, by its most traded pair with the venue named", () => {
    const r = rankMovers([
      s("BTC-USD", 5, 10, 100, "coinbase"),  // 1,000
      s("BTC-USDT", 6, 20, 100, "binance"),  // 2,000 → shown
      s("ETH-USD", 4, 1, 1, "coingecko"),   // degraded, but ETH's only price
      s("SOL-USD", -2, 1, 1, "coingecko"),
      s("SOL-USDT", -3, 0, 1, "binance"),    // live beats degraded even with less volume
    ], 10);
    expect(r.gainers.map((x) => [x.symbol, x.venue])).toEqual([["BTC-USDT", "binance"], ["ETH-USD", "coingecko"]]);
    expect(r.losers.map((x) => [x.symbol, x.venue])).toEqual([["SOL-USDT", "binance"]]);
  });

  it("rejects a negative n", () => expect(() => rankMovers([], -1)).toThrow(RangeError));
});

describe("rankTopCoins()", () => {
  it("orders coins by CoinGecko rank, unranked after by quote volume, each shown by its most traded pair", () => {
    const m = new MarketIndex();
    m.offer({ v: 1, coin: "bitcoin", symbol: "BTC", name: "Bitcoin", rank: 1, price: 1, marketCap: 1e12, volume24h: 1, change24hPct: 1, ts: 1, source: "coingecko" });
    m.offer({ v: 1, coin: "dogecoin", symbol: "DOGE", rank: 9, price: 1, marketCap: 1e10, volume24h: 1, change24hPct: 1, ts: 1, source: "coingecko" });
    const rows = rankTopCoins([
      s("BTC-USD", 2, 10, 100),     // 1,000
      s("BTC-USDT", 3, 20, 100),    // 2,000 → best pair
      s("ETH-USD", -1, 2500, 1),    // 2,500
      s("DOGE-USD", 1, 10, 0.1),    // 1
      s("SOL-USD", 1, 1e9, 1, "coingecko"), // degraded: not tradable
    ], m, 10);
    expect(rows.map((r) => [r.symbol, r.volume24h])).toEqual([["BTC-USDT", 3000], ["DOGE-USD", 1], ["ETH-USD", 2500]]);
    expect(rows[0]).toMatchObject({ rank: 1, name: "Bitcoin", venue: "coinbase", marketCap: 1e12, change24hPct: 3, price: 100 });
    expect(rows[2]).toMatchObject({ rank: null, marketCap: null });
    // The top n are the best-ranked, not the most traded.
    expect(rankTopCoins([s("BTC-USD", 1, 1, 1), s("DOGE-USD", 1, 1, 1), s("ETH-USD", 1, 1e9, 1)], m, 2).map((r) => r.symbol)).toEqual(["BTC-USD", "DOGE-USD"]);
  });

  it("breaks volume ties by symbol", () => {
    const rows = rankTopCoins([s("B-USD", 0, 5), s("A-USD", 0, 5)], new MarketIndex(), 5);
    expect(rows.map((r) => r.symbol)).toEqual(["A-USD", "B-USD"]);
  });
});

describe("MarketIndex", () => {
  it("matches by base symbol and prefers the best-ranked coin when symbols collide", () => {
    const m = new MarketIndex();
    const snap = (coin: string, rank: number | null, cap: number) =>
      ({ v: 1 as const, coin, symbol: "ETH", rank, price: 1, marketCap: cap, volume24h: 1, change24hPct: 0, ts: 1, source: "coingecko" });
    m.offer(snap("fake-eth", 900, 5));
    m.offer(snap("ethereum", 2, 4e11));
    expect(m.get(baseOf("eth-usd"))).toEqual({ rank: 2, marketCap: 4e11 });
    expect(m.get("BTC")).toBeUndefined();
    expect(m.list().map((x) => x.coin)).toEqual(["ethereum"]);
    const v = m.version;
    m.offer({ ...snap("ethereum", 2, 4e11), ts: 0 }); // older: ignored
    expect(m.version).toBe(v);
  });
});
