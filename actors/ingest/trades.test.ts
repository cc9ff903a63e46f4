import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { GapEvent, type Trade, TradeBatch } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { productsFromList, resolveProducts } from "./products.ts";
import { ShardService } from "./shard.ts";
import { TradeIdTracker } from "./trades.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 21, symbols: 20, tickRate: 300 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

const tradesOf = async (subject: string): Promise<Trade[]> =>
  (await readStored<TradeBatch>(bus.js, bus.jsm, subject)).flatMap((m) => TradeBatch.parse(m.value).trades);

describe("trades end to end", () => {
  it("publishes Coinbase matches and Binance trades as md.trade.<venue>.<symbol>, every trade once and none missing", async () => {
    const s = testSettings({
      FEED: "sim", SIM_URL: sim.urls.binanceRest, COINBASE_WS_URL: sim.urls.coinbaseWs, BINANCE_WS_URL: sim.urls.binanceWs,
      BINANCE_REST_URL: sim.urls.binanceRest, BOOKS: "false", VALIDATE_PUBLISHED: "true",
    });
    const endpoints = venueEndpoints(s);
    const shard = new ShardService({
      shardId: "trades-1", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints, products: productsFromList(["BTC", "ETH"], endpoints.map((e) => e.venue)), coinbaseGapCheck: true,
    });
    await shard.start();
    try {
      for (const subj of [subjects.trade("coinbase", "BTC-USD"), subjects.trade("binance", "BTC-USDT")]) {
        await waitFor(`trades on ${subj}`, async () => (await tradesOf(subj)).length >= 20 || undefined);
      }
    } finally {
      await shard.stop();
    }
    for (const [venue, symbol] of [["coinbase", "BTC-USD"], ["binance", "BTC-USDT"]] as const) {
      const trades = await tradesOf(subjects.trade(venue, symbol));
      expect(trades[0]).toMatchObject({ venue, market: "spot", symbol });
      const ids = trades.map((t) => Number(t.tradeId));
      // The simulator numbers a product's trades 1, 2, 3...: consecutive ids mean none lost, none twice.
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[0]! + i);
      for (const t of trades) {
        expect(t.price).toBeGreaterThan(0);
        expect(t.size).toBeGreaterThan(0);
        expect(Math.abs(t.recvTs - t.exchTs)).toBeLessThan(5_000);
      }
      expect(new Set(trades.map((t) => t.side))).toEqual(new Set(["buy", "sell"]));
    }
  }, 40_000);

  it("lists Coinbase products from COINBASE_REST_URL, so a sandbox or a test server can stand in", async () => {
    const s = testSettings({ FEED: "coinbase", COINBASE_REST_URL: sim.urls.binanceRest, COINBASE_WS_URL: sim.urls.coinbaseWs, PRODUCTS_LIMIT: "5" });
    const lists = await resolveProducts(s, venueEndpoints(s));
    expect(lists.coinbase).toHaveLength(5);
    expect(lists.coinbase!.every((p) => /^[A-Z0-9]+-USD$/.test(p))).toBe(true);
  });

  it("counts lost Coinbase matches (trade ids skipped, or a heartbeat last_trade_id ahead of them) with a GapEvent for the missing range", async () => {
    const s = testSettings({ FEED: "coinbase", COINBASE_WS_URL: sim.urls.coinbaseWs, STALE_MS: "10000" });
    const shard = new ShardService({
      shardId: "trades-2", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints: venueEndpoints(s), products: { coinbase: ["SOL-USD"] }, coinbaseGapCheck: true,
    });
    await shard.start();
    try {
      await waitFor("SOL trades", async () => (await tradesOf(subjects.trade("coinbase", "SOL-USD"))).length >= 3 || undefined);
      sim.faults({ dropTrades: { next: 3, venue: "coinbase" } });
      const gap = await waitFor("a trade gap", async () => {
        const gaps = (await readStored<GapEvent>(bus.js, bus.jsm, subjects.gap("coinbase", "SOL-USD"))).map((m) => GapEvent.parse(m.value));
        return gaps.find((g) => g.got - g.expected >= 1);
      }, 10_000);
      const ids = new Set((await tradesOf(subjects.trade("coinbase", "SOL-USD"))).map((t) => Number(t.tradeId)));
      // The range the gap names, [expected, got), is exactly what never arrived.
      expect(gap.got - gap.expected).toBe(3);
      for (let id = gap.expected; id < gap.got; id++) expect(ids.has(id), `trade ${id}`).toBe(false);
      expect(ids.has(gap.expected - 1) && ids.has(gap.got)).toBe(true);
    } finally {
      await shard.stop();
      sim.faults({ reset: true });
    }
  }, 30_000);
});

describe("trade-id tracking", () => {
  it("names the missing range from a skipped id and from a heartbeat ahead of the last match, and nothing otherwise", () => {
    const t = new TradeIdTracker();
    expect(t.onTrade("c:BTC-USD", 10)).toBeUndefined();
    expect(t.onTrade("c:BTC-USD", 11)).toBeUndefined();
    expect(t.onTrade("c:BTC-USD", 14)).toEqual([12, 14]);
    expect(t.onHeartbeat("c:BTC-USD", 14)).toBeUndefined();
    expect(t.onHeartbeat("c:BTC-USD", 16)).toEqual([15, 17]);
    expect(t.onTrade("c:BTC-USD", 17)).toBeUndefined();
    t.forget("c:BTC-USD");
    expect(t.onTrade("c:BTC-USD", 30)).toBeUndefined();
  });
});
