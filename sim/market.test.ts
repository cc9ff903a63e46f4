import { afterAll, describe, expect, it } from "vitest";
import { Market } from "./market.ts";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client } from "./testkit.ts";
import { buildUniverse } from "./universe.ts";

/** The first `n` prices of product `id` when it ticks alone. */
function walk(seed: number, id: string, n: number): string[] {
  const u = buildUniverse(seed, 100);
  const m = new Market(u, { tickRate: 1, batchMs: 10 });
  const p = u.find(id)!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    m.tick(p, 1_700_000_000_000 + i);
    out.push(p.pxStr);
  }
  return out;
}

describe("universe", () => {
  it("has the requested number of products with unique, valid names on every venue", () => {
    const u = buildUniverse(42, 500);
    expect(u.products.length).toBe(500);
    expect(u.products.slice(0, 3).map((p) => p.cbId)).toEqual(["BTC-USD", "ETH-USD", "SOL-USD"]);
    for (const key of ["cbId", "bnSymbol", "cgId", "base"] as const) {
      expect(new Set(u.products.map((p) => p[key])).size).toBe(500);
    }
    for (const p of u.products) {
      expect(p.base).toMatch(/^[A-Z0-9]{2,6}$/);
      expect(p.cgId).toMatch(/^[a-z0-9-]+$/);
      expect(p.px).toBeGreaterThan(0);
      expect(u.binance(p.bnLower)).toBe(p);
      expect(u.coinbase(p.cbId)).toBe(p);
    }
  });

  it("is the same for the same seed and different for another", () => {
    const names = (seed: number) => buildUniverse(seed, 200).products.map((p) => `${p.base}:${p.pxStr}`);
    expect(names(7)).toEqual(names(7));
    expect(names(7)).not.toEqual(names(8));
  });

  it("starts with 24 h changes spread across about ±20 %", () => {
    const changes = buildUniverse(42, 500).products.map((p) => p.px / p.open - 1);
    expect(Math.min(...changes)).toBeLessThan(-0.15);
    expect(Math.max(...changes)).toBeGreaterThan(0.15);
  });

  it("rejects a size outside 1..20000", () => {
    expect(() => buildUniverse(1, 0)).toThrow(RangeError);
  });
});

describe("price walk", () => {
  it("gives a product the same price sequence for the same seed, whatever else ticks", () => {
    const alone = walk(5, "ETH-USD", 300);
    expect(walk(5, "ETH-USD", 300)).toEqual(alone);
    // Interleave other products' ticks: ETH's own sequence must not change.
    const u = buildUniverse(5, 100);
    const m = new Market(u, { tickRate: 1, batchMs: 10 });
    const eth = u.find("ETH-USD")!;
    const mixed: string[] = [];
    for (let i = 0; i < 300; i++) {
      const other = u.products[(i * 7) % 100]!;
      if (other !== eth) m.tick(other, 1_700_000_000_000);
      m.tick(eth, 1_700_000_000_000 + i);
      mixed.push(eth.pxStr);
    }
    expect(mixed).toEqual(alone);
    expect(walk(6, "ETH-USD", 300)).not.toEqual(alone);
  });

  it("keeps 24 h changes bounded over a long run and keeps the book uncrossed", () => {
    const u = buildUniverse(9, 60);
    const m = new Market(u, { tickRate: 1, batchMs: 10 });
    let lo = 0;
    let hi = 0;
    let crossed = 0;
    for (const p of u.products.slice(0, 20)) {
      for (let i = 0; i < 3000; i++) {
        m.tick(p, 1_700_000_000_000 + i);
        const c = p.px / p.open - 1;
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
        if (p.book.bestBid > p.px || p.book.bestAsk <= p.px) crossed++;
      }
    }
    expect(crossed).toBe(0);
    expect(lo).toBeGreaterThan(-0.45);
    expect(hi).toBeLessThan(0.6);
    expect(hi - lo).toBeGreaterThan(0.2);
  });
});

describe("simulators with the same seed", () => {
  const sims: SimulatorHandle[] = [];
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
  });

  it("send the same per-product price sequence over the Coinbase feed", async () => {
    const run = async (seed: number) => {
      const sim = await startSimulator({ port: 0, seed, symbols: 50, tickRate: 500 });
      sims.push(sim);
      const c = await Client.open(sim.urls.coinbaseWs);
      c.send({ type: "subscribe", product_ids: ["BTC-USD", "LINK-USD"], channels: ["ticker"] });
      await c.waitFor((m) => m.type === "ticker", 80);
      c.close();
      const prices = (id: string) => c.all<{ price: string }>((m) => m.type === "ticker" && m.product_id === id).map((m) => m.price).slice(0, 30);
      return { btc: prices("BTC-USD"), link: prices("LINK-USD") };
    };
    const [a, b, other] = await Promise.all([run(11), run(11), run(12)]);
    expect(a.btc.length).toBe(30);
    expect(a).toEqual(b);
    expect(other.btc).not.toEqual(a.btc);
  });
});
