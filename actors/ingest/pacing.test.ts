import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
const N = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 2, symbols: N, tickRate: 200, subscribeTimeoutMs: 5000, heartbeatMs: 60_000 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

interface CbStats { connections: number; firstSubscribeMaxMs: number; disconnects: { subscribeTimeout: number } }
const cb = () => (sim.stats() as { venues: { coinbase: CbStats } }).venues.coinbase;

describe("Coinbase connection pacing", () => {
  it("opens sockets at the pace of the subscribe budget: 2,000 products, every socket subscribes well within 5 s of opening", async () => {
    // 200 sockets at 20 subscribes/s: opened all at once, the last would wait 10 s to subscribe.
    const s = testSettings({ FEED: "coinbase", COINBASE_WS_URL: sim.urls.coinbaseWs, SUBSCRIBE_RATE: "20", SUBSCRIBE_BURST: "20", STALE_MS: "60000", TRADES: "false",
      // A loaded test machine may fail a few of the 200+ handshakes: do not let that open the breaker.
      CONNECT_TIMEOUT_MS: "20000", BREAKER_FAILURES: "1000" });
    const products = sim.universe.products.map((p) => p.cbId).sort();
    const sh = new ShardService({
      shardId: "pacing-1", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints: venueEndpoints(s), products: { coinbase: products }, coinbaseGapCheck: true,
    });
    await sh.start();
    try {
      await waitFor("every product subscribed", () => {
        const c = sh.status().coinbase as { open: number; connections: number };
        return (c.open === c.connections && c.connections >= N / 10) || undefined;
      }, 30_000, 200).catch((e) => {
        throw new Error(`${String(e)}; shard: ${JSON.stringify(sh.status().coinbase)}, sim: ${JSON.stringify(cb())}`);
      });
      await waitFor("the last subscribe", () => sim.stats() && (sim.stats() as { activeProducts: number }).activeProducts === N || undefined, 10_000, 100);
    } finally {
      await sh.stop();
    }
    const st = cb();
    expect(st.disconnects.subscribeTimeout).toBe(0);
    expect(st.firstSubscribeMaxMs).toBeLessThan(1000);
  }, 60_000);

  it("Advanced Trade (three messages per subscribe: ticker, market_trades, heartbeats): 2,000 products, every socket subscribes within 5 s of opening", async () => {
    // 200+ sockets × 3 messages at 60 messages/s: opened all at once, the last would wait 10 s.
    const s = testSettings({ FEED: "coinbase", COINBASE_API: "advanced", COINBASE_ADVANCED_WS_URL: sim.urls.coinbaseAdvancedWs, SUBSCRIBE_RATE: "60", SUBSCRIBE_BURST: "60",
      STALE_MS: "60000", TRADES: "true", BOOKS: "false", CONNECT_TIMEOUT_MS: "20000", BREAKER_FAILURES: "1000", ACK_TIMEOUT_MS: "30000" });
    const products = sim.universe.products.map((p) => p.cbId).sort();
    const before = cb().disconnects.subscribeTimeout;
    const sh = new ShardService({
      shardId: "pacing-adv", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints: venueEndpoints(s), products: { coinbase: products },
    });
    await sh.start();
    try {
      await waitFor("every product subscribed and confirmed", () => {
        const c = sh.status().coinbase as { open: number; connections: number };
        return (c.open === c.connections && c.connections >= N / 10 && sh.checks.unconfirmed() === 0) || undefined;
      }, 40_000, 200).catch((e) => {
        throw new Error(`${String(e)}; shard: ${JSON.stringify(sh.status().coinbase)}, unconfirmed ${sh.checks.unconfirmed()}, sim: ${JSON.stringify(cb())}`);
      });
      expect(sh.status().refused).toEqual({});
    } finally {
      await sh.stop();
    }
    const st = cb();
    expect(st.disconnects.subscribeTimeout - before).toBe(0);
    expect(st.firstSubscribeMaxMs).toBeLessThan(5000);
  }, 90_000);
});
