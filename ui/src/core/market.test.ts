import { describe, expect, it } from "vitest";
import type { TickerData } from "../../../lib/contracts/protocol.ts";
import { FLASH_MS, FLASH_STRONG_MS, MarketStore, filterSymbols, flashClass, sortSymbols } from "./market.ts";

const t = (symbol: string, price: number, exchTs: number, extra: Partial<TickerData> = {}): TickerData => ({ symbol, venue: "sim", price, exchTs, ...extra });

describe("MarketStore", () => {
  it("learns symbols in discovery order and marks them dirty", () => {
    const m = new MarketStore();
    m.apply(t("B-USD", 2, 1));
    m.apply(t("A-USD", 1, 1));
    expect(m.symbols).toEqual(["B-USD", "A-USD"]);
    const d = m.takeDirty();
    expect([...d.symbols]).toEqual(["B-USD", "A-USD"]);
    expect(d.added).toBe(true);
    expect(m.takeDirty()).toEqual({ symbols: new Set(), added: false });
  });

  it("records the direction of each price change and counts flashes", () => {
    const m = new MarketStore();
    m.apply(t("A-USD", 10, 1));
    m.apply(t("A-USD", 11, 2));
    expect(m.quotes.get("A-USD")).toMatchObject({ price: 11, prevPrice: 10, dir: 1, flashes: 1 });
    m.apply(t("A-USD", 9, 3));
    expect(m.quotes.get("A-USD")).toMatchObject({ dir: -1, flashes: 2 });
    m.apply(t("A-USD", 9, 4, { volume24h: 5 }));
    expect(m.quotes.get("A-USD")).toMatchObject({ dir: -1, flashes: 2, volume24h: 5 });
  });

  it("ignores ticks older than the one it holds (ticker.all and ticker.<SYM> may interleave)", () => {
    const m = new MarketStore();
    m.apply(t("A-USD", 10, 5));
    expect(m.apply(t("A-USD", 99, 4))).toBe(false);
    expect(m.price("A-USD")).toBe(10);
  });

  it("keeps optional 24 h fields when a tick omits them", () => {
    const m = new MarketStore();
    m.apply(t("A-USD", 10, 1, { high24h: 12, change24hPct: 3 }));
    m.apply(t("A-USD", 11, 2));
    expect(m.quotes.get("A-USD")).toMatchObject({ high24h: 12, change24hPct: 3 });
  });
});

describe("sortSymbols and filterSymbols", () => {
  const m = new MarketStore();
  m.apply(t("BTC-USD", 100, 1, { change24hPct: 2, volume24h: 50 }));
  m.apply(t("ETH-USD", 10, 1, { change24hPct: -1, volume24h: 80 }));
  m.apply(t("SOL-USD", 50, 1, { change24hPct: 5 }));

  it("sorts by a numeric column in either direction with missing values last", () => {
    expect(sortSymbols(m.symbols, m.quotes, "change", "desc")).toEqual(["SOL-USD", "BTC-USD", "ETH-USD"]);
    expect(sortSymbols(m.symbols, m.quotes, "price", "asc")).toEqual(["ETH-USD", "SOL-USD", "BTC-USD"]);
  });

  it("sorts volume by its value in USD (base volume × price), not by coin units", () => {
    expect(sortSymbols(m.symbols, m.quotes, "volume", "desc")).toEqual(["BTC-USD", "ETH-USD", "SOL-USD"]);
    expect(sortSymbols(m.symbols, m.quotes, "volume", "asc")).toEqual(["ETH-USD", "BTC-USD", "SOL-USD"]);
  });

  it("sorts by symbol alphabetically", () => {
    expect(sortSymbols(["SOL-USD", "BTC-USD", "ETH-USD"], m.quotes, "symbol", "desc")).toEqual(["SOL-USD", "ETH-USD", "BTC-USD"]);
  });

  it("filters by a case-insensitive search and by the watchlist", () => {
    expect(filterSymbols(m.symbols, " eth ")).toEqual(["ETH-USD"]);
    expect(filterSymbols(m.symbols, "usd", new Set(["SOL-USD"]))).toEqual(["SOL-USD"]);
    expect(filterSymbols(m.symbols, "")).toHaveLength(3);
  });
});

describe("flashClass", () => {
  it("flashes strong, then faint, then not at all after a price change", () => {
    const m = new MarketStore();
    m.apply(t("A-USD", 10, 1), 1000);
    const q = m.quotes.get("A-USD")!;
    expect(flashClass(q, 0, 1000)).toBe("");
    m.apply(t("A-USD", 11, 2), 2000);
    expect(flashClass(q, 0, 2000)).toBe("flash-up strong");
    expect(flashClass(q, 0, 2000 + FLASH_STRONG_MS + 1)).toBe("flash-up");
    expect(flashClass(q, 0, 2000 + FLASH_MS + 1)).toBe("");
    m.apply(t("A-USD", 9, 3), 5000);
    expect(flashClass(q, 0, 5000)).toBe("flash-down strong");
  });

  it("does not flash for changes made before the row showed the symbol", () => {
    const m = new MarketStore();
    m.apply(t("A-USD", 10, 1), 0);
    m.apply(t("A-USD", 11, 2), 100);
    const q = m.quotes.get("A-USD")!;
    expect(flashClass(q, q.flashes, 100)).toBe("");
  });
});
