import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { GapEvent, TickBatch, type Trade, TradeBatch } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;
let n = 0;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 31, symbols: 20, tickRate: 300, heartbeatMs: 200 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

/** A shard reading Coinbase through Advanced Trade from the simulator: FEED=sim,coinbase COINBASE_API=advanced. */
function advancedShard(products: string[], env: Record<string, string> = {}) {
  const s = testSettings({ FEED: "sim,coinbase", SIM_URL: sim.urls.binanceRest, COINBASE_API: "advanced", VALIDATE_PUBLISHED: "true", ...env });
  const endpoints = venueEndpoints(s);
  const metrics = new Metrics();
  const id = `adv-${++n}`;
  const shard = new ShardService({
    shardId: id, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock, metrics,
    settings: s, endpoints, products: { coinbase: products },
  });
  const count = (name: string) => metrics.counter(name, "").get({ venue: "coinbase", shard: id });
  return { shard, endpoints, count };
}

const ticksOf = async (subject: string) => (await readStored<TickBatch>(bus.js, bus.jsm, subject)).flatMap((m) => TickBatch.parse(m.value).ticks);
const tradesOf = async (subject: string): Promise<Trade[]> => (await readStored<TradeBatch>(bus.js, bus.jsm, subject)).flatMap((m) => TradeBatch.parse(m.value).trades);

describe("Coinbase Advanced Trade end to end (simulator /coinbase-advanced)", () => {
  it("FEED=coinbase COINBASE_API=advanced publishes ticks and trades under venue coinbase", async () => {
    const { shard, endpoints } = advancedShard(["BTC-USD", "ETH-USD"]);
    expect(endpoints).toEqual([expect.objectContaining({ venue: "coinbase", api: "advanced", wsUrl: sim.urls.coinbaseAdvancedWs })]);
    await shard.start();
    try {
      for (const sym of ["BTC-USD", "ETH-USD"]) {
        await waitFor(`ticks of ${sym}`, async () => (await ticksOf(subjects.tick("coinbase", sym))).length >= 10 || undefined);
        await waitFor(`trades of ${sym}`, async () => (await tradesOf(subjects.trade("coinbase", sym))).length >= 10 || undefined);
      }
    } finally {
      await shard.stop();
    }
    const ticks = await ticksOf(subjects.tick("coinbase", "BTC-USD"));
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.seq).toBeGreaterThan(ticks[i - 1]!.seq);
    for (const t of ticks) {
      expect(t).toMatchObject({ venue: "coinbase", symbol: "BTC-USD" });
      expect(t.bid!).toBeLessThanOrEqual(t.price);
      expect(Math.abs(t.recvTs - t.exchTs)).toBeLessThan(5_000);
    }
    const trades = await tradesOf(subjects.trade("coinbase", "BTC-USD"));
    const ids = trades.map((t) => Number(t.tradeId));
    // The simulator numbers a product's trades 1, 2, 3...: consecutive ids mean none lost, none twice.
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[0]! + i);
    expect(new Set(trades.map((t) => t.side))).toEqual(new Set(["buy", "sell"]));
  }, 40_000);

  it("a jump in the connection's sequence_num is a gap: md.gap for the connection's products, counted", async () => {
    const { shard, count } = advancedShard(["SOL-USD"], { TRADES: "false" });
    await shard.start();
    try {
      await waitFor("ticks of SOL-USD", async () => (await ticksOf(subjects.tick("coinbase", "SOL-USD"))).length >= 3 || undefined);
      expect(count("ingest_connection_gaps_total")).toBe(0);
      sim.faults({ skipSequence: { next: 1, product: "SOL-USD", venue: "coinbase" } });
      await waitFor("a connection gap", () => count("ingest_connection_gaps_total") >= 1 || undefined);
      const gaps = await waitFor("md.gap.coinbase.SOL-USD", async () => {
        const g = await readStored<GapEvent>(bus.js, bus.jsm, subjects.gap("coinbase", "SOL-USD"));
        return g.length > 0 ? g : undefined;
      });
      const ev = GapEvent.parse(gaps[0]!.value);
      expect(ev).toMatchObject({ venue: "coinbase", symbol: "SOL-USD", reason: "connection_sequence" });
      expect(ev.got - ev.expected).toBe(1);
    } finally {
      sim.faults({ reset: true });
      await shard.stop();
    }
  }, 30_000);

  it("a product the venue leaves out of its subscriptions reply is reported refused (log, metric, status), the others flow", async () => {
    sim.faults({ refuseProducts: ["DOGE-USD"] });
    const { shard, count } = advancedShard(["ADA-USD", "DOGE-USD"], { TRADES: "false", ACK_TIMEOUT_MS: "1000" });
    await shard.start();
    try {
      await waitFor("DOGE-USD refused", () => (shard.status().refused as Record<string, { products: string[] }>).coinbase?.products.includes("DOGE-USD") || undefined);
      expect(shard.status().refused).toEqual({ coinbase: { count: 1, products: ["DOGE-USD"] } });
      expect(count("ingest_refused_products_total")).toBe(1);
      await waitFor("ticks of ADA-USD", async () => (await ticksOf(subjects.tick("coinbase", "ADA-USD"))).length >= 3 || undefined);
    } finally {
      sim.faults({ reset: true });
      await shard.stop();
    }
  }, 30_000);

  it("Exchange API too: a product missing from the subscriptions reply is reported refused", async () => {
    sim.faults({ refuseProducts: ["AVAX-USD"] });
    const s = testSettings({ FEED: "coinbase", COINBASE_WS_URL: sim.urls.coinbaseWs, TRADES: "false", ACK_TIMEOUT_MS: "1000" });
    const shard = new ShardService({
      shardId: "ack-exchange", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints: venueEndpoints(s), products: { coinbase: ["AVAX-USD", "DOT-USD"] },
    });
    await shard.start();
    try {
      await waitFor("AVAX-USD refused", () => (shard.status().refused as Record<string, { products: string[] }>).coinbase?.products.includes("AVAX-USD") || undefined);
      expect(shard.status().refused).toEqual({ coinbase: { count: 1, products: ["AVAX-USD"] } });
      expect(shard.checks.unconfirmed()).toBe(0);
    } finally {
      sim.faults({ reset: true });
      await shard.stop();
    }
  }, 30_000);

  it("exchange times beyond MAX_CLOCK_SKEW_MS of the receive time are counted and replaced by the receive time", async () => {
    sim.faults({ clockSkewMs: 120_000 });
    const { shard, count } = advancedShard(["LINK-USD"], { TRADES: "false", MAX_CLOCK_SKEW_MS: "5000" });
    await shard.start();
    try {
      await waitFor("ticks of LINK-USD", async () => (await ticksOf(subjects.tick("coinbase", "LINK-USD"))).length >= 3 || undefined);
      expect(count("ingest_clock_skew_total")).toBeGreaterThanOrEqual(3);
    } finally {
      sim.faults({ reset: true });
      await shard.stop();
    }
    for (const t of await ticksOf(subjects.tick("coinbase", "LINK-USD"))) expect(Math.abs(t.exchTs - t.recvTs)).toBeLessThan(5_000);
  }, 30_000);
});
