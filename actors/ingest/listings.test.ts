import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { TickBatch } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { resolveProducts, symbolsOf } from "./products.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "./testkit.ts";
import { coinbaseAdvancedProtocol, coinbaseProtocol } from "./venues.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 41, symbols: 12, tickRate: 300 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

const ticksOf = async (sym: string) => (await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", sym))).flatMap((m) => TickBatch.parse(m.value).ticks);

describe("Coinbase product lists", () => {
  it("takes bus symbols from the listing's base_currency/quote_currency (Exchange) and base_currency_id/quote_currency_id (Advanced Trade)", async () => {
    const ex = testSettings({ FEED: "coinbase", COINBASE_REST_URL: sim.urls.binanceRest });
    const a = await resolveProducts(ex, venueEndpoints(ex));
    const adv = testSettings({ FEED: "coinbase", COINBASE_API: "advanced", COINBASE_REST_URL: `${sim.urls.binanceRest}/api/v3/brokerage/market` });
    const b = await resolveProducts(adv, venueEndpoints(adv));
    const want = sim.universe.products.map((p) => p.cbId).sort();
    expect(a.coinbase).toEqual(want);
    expect(b.coinbase).toEqual(want);
    for (const lists of [a, b]) {
      const names = symbolsOf(lists).coinbase!;
      for (const p of sim.universe.products) expect(names.get(p.cbId)).toBe(`${p.base}-USD`);
    }
  });

  it("publishes ticks and trades under the listing's symbol where it differs from the product id", () => {
    const names = new Map([["BTC-USD", "XBT-USD"]]);
    const doc = (f: string) => readFileSync(join(import.meta.dirname, "../../test/fixtures/coinbase-advanced", f), "utf8");
    const adv = coinbaseAdvancedProtocol(true, undefined, names).parse(doc("ticker.json"), 1);
    expect(adv).toMatchObject({ kind: "batch", items: [{ kind: "tick", product: "BTC-USD", tick: { symbol: "XBT-USD" } }] });
    const ex = coinbaseProtocol(false, true, names).parse(readFileSync(join(import.meta.dirname, "fixtures", "coinbase_exchange_match.json"), "utf8"), 1);
    expect(ex).toMatchObject({ kind: "trade", product: "BTC-USD", trade: { symbol: "XBT-USD" } });
    expect(coinbaseProtocol(false, true, names).symbolOf("BTC-USD")).toBe("XBT-USD");
  });
});

describe("listings and delistings without a restart", () => {
  it("subscribes a newly listed product and unsubscribes a delisted one at the next product-list refresh", async () => {
    sim.faults({ listings: { delist: ["XRP-USD"] } });
    const s = testSettings({ FEED: "coinbase", COINBASE_WS_URL: sim.urls.coinbaseWs, COINBASE_REST_URL: sim.urls.binanceRest, TRADES: "false", PRODUCTS_REFRESH_MS: "300" });
    const endpoints = venueEndpoints(s);
    const products = await resolveProducts(s, endpoints);
    expect(products.coinbase).not.toContain("XRP-USD");
    const shard = new ShardService({
      shardId: "listings-1", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints, products, symbols: symbolsOf(products), listProducts: () => resolveProducts(s, endpoints),
    });
    await shard.start();
    try {
      await waitFor("ETH-USD ticks", async () => (await ticksOf("ETH-USD")).length > 0 || undefined);
      // Listed while running: owned and ticking without a restart.
      sim.faults({ listings: { list: ["XRP-USD"] } });
      await waitFor("XRP-USD owned", () => shard.owned().includes("coinbase:XRP-USD") || undefined, 10_000);
      await waitFor("XRP-USD ticks", async () => (await ticksOf("XRP-USD")).length > 0 || undefined);
      // Delisted while running: dropped and unsubscribed, so its ticks stop.
      sim.faults({ listings: { delist: ["ETH-USD"] } });
      await waitFor("ETH-USD dropped", () => !shard.owned().includes("coinbase:ETH-USD") || undefined, 10_000);
      // ...and unsubscribed upstream: the simulator stops ticking it (12 products, 11 listed).
      await waitFor("ETH-USD unsubscribed", () => (sim.stats() as { activeProducts: number }).activeProducts === 11 || undefined, 5_000);
      await new Promise((r) => setTimeout(r, 500));
      const n = (await ticksOf("ETH-USD")).length;
      await new Promise((r) => setTimeout(r, 700));
      expect((await ticksOf("ETH-USD")).length).toBe(n);
      expect(shard.refresher!.refreshes).toBeGreaterThan(1);
    } finally {
      sim.faults({ listings: { list: ["ETH-USD", "XRP-USD"] } });
      await shard.stop();
    }
  }, 40_000);
});
