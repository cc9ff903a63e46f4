import { describe, expect, it } from "vitest";
import { PortfolioStore, STORAGE_KEY, valuate, type StorageLike } from "./portfolio.ts";

class MemStorage implements StorageLike {
  data = new Map<string, string>();
  getItem(k: string) { return this.data.get(k) ?? null; }
  setItem(k: string, v: string) { this.data.set(k, v); }
}

describe("PortfolioStore", () => {
  it("persists the watchlist and holdings so a new store (a reload) sees them", () => {
    const storage = new MemStorage();
    const a = new PortfolioStore(storage);
    a.toggleWatch("BTC-USD");
    a.toggleWatch("ETH-USD");
    a.toggleWatch("ETH-USD");
    a.addHolding({ symbol: "BTC-USD", quantity: 0.5, cost: 60000 });
    const b = new PortfolioStore(storage);
    expect([...b.watchlist]).toEqual(["BTC-USD"]);
    expect(b.holdings).toEqual([{ symbol: "BTC-USD", quantity: 0.5, cost: 60000 }]);
  });

  it("merges a second buy of the same coin at the average cost", () => {
    const p = new PortfolioStore(new MemStorage());
    p.addHolding({ symbol: "ETH-USD", quantity: 1, cost: 1000 });
    p.addHolding({ symbol: "ETH-USD", quantity: 3, cost: 2000 });
    expect(p.holdings).toEqual([{ symbol: "ETH-USD", quantity: 4, cost: 1750 }]);
    p.removeHolding("ETH-USD");
    expect(p.holdings).toEqual([]);
  });

  it("rejects a holding with a non-positive quantity or negative cost", () => {
    const p = new PortfolioStore(new MemStorage());
    expect(() => p.addHolding({ symbol: "X-USD", quantity: 0, cost: 1 })).toThrow(RangeError);
    expect(() => p.addHolding({ symbol: "X-USD", quantity: 1, cost: -1 })).toThrow(RangeError);
  });

  it("starts empty when storage holds garbage or throws", () => {
    const s = new MemStorage();
    s.setItem(STORAGE_KEY, "{not json");
    expect(new PortfolioStore(s).holdings).toEqual([]);
    s.setItem(STORAGE_KEY, JSON.stringify({ watchlist: [1, "A-USD"], holdings: [{ symbol: "B-USD", quantity: -1, cost: 1 }] }));
    const p = new PortfolioStore(s);
    expect([...p.watchlist]).toEqual(["A-USD"]);
    expect(p.holdings).toEqual([]);
    const throwing: StorageLike = { getItem: () => { throw new Error("denied"); }, setItem: () => { throw new Error("quota"); } };
    const q = new PortfolioStore(throwing);
    expect(q.toggleWatch("A-USD")).toBe(true);
  });
});

describe("valuate", () => {
  it("computes value and P&L at live prices and leaves unknown prices out of the totals", () => {
    const v = valuate(
      [{ symbol: "BTC-USD", quantity: 2, cost: 100 }, { symbol: "NEW-USD", quantity: 1, cost: 5 }],
      (s) => (s === "BTC-USD" ? 150 : undefined),
    );
    expect(v.rows[0]).toMatchObject({ value: 300, costBasis: 200, pnl: 100, pnlPct: 50 });
    expect(v.rows[1]).toMatchObject({ value: undefined, pnl: undefined });
    expect(v).toMatchObject({ value: 300, costBasis: 205, pnl: 100 });
  });
});
