import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { systemClock } from "../runtime/mod.ts";
import { sessionLifetime } from "./connection.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 8, symbols: 10, tickRate: 300 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

interface Disconnects { serverShutdown: number; sessionLimit: number }
const usdm = () => (sim.stats() as { venues: Record<string, { disconnects: Disconnects }> }).venues["binance-usdm"]!.disconnects;
const conns = async () =>
  ((await (await fetch(`${sim.urls.control}/connections`)).json()) as Array<{ id: number; venue: string }>).filter((c) => c.venue === "binance-usdm").map((c) => c.id);

function shard(id: string, env: Record<string, string>): ShardService {
  const s = testSettings({
    FEED: "binance-usdm", BINANCE_USDM_WS_URL: sim.urls.binanceUsdmWs, BINANCE_USDM_REST_URL: sim.urls.binanceUsdmRest,
    PRODUCTS_PER_CONNECTION: "1", STALE_MS: "10000", BOOKS: "false", ...env,
  });
  return new ShardService({
    shardId: id, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
    settings: s, endpoints: venueEndpoints(s), products: { "binance-usdm": ["BTCUSDT", "ETHUSDT", "SOLUSDT"] },
  });
}

describe("Binance connection lifetimes", () => {
  it("reconnects within 5 s of serverShutdown, before the server closes the socket", async () => {
    const sh = shard("life-1", { BINANCE_MAX_SESSION_MS: "1h" });
    await sh.start();
    try {
      const before = await waitFor("3 connections", async () => {
        const ids = await conns();
        return ids.length === 3 ? ids : undefined;
      });
      const t0 = Date.now();
      sim.faults({ serverShutdown: { venue: "binance-usdm", closeAfterMs: 8000 } });
      await waitFor("3 new connections", async () => {
        const ids = await conns();
        return ids.length === 3 && ids.every((i) => !before.includes(i)) ? ids : undefined;
      }, 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(usdm().serverShutdown).toBe(0);
    } finally {
      await sh.stop();
    }
  }, 20_000);

  it("leaves each connection itself before the 24 h cut (here 4 s), at moments spread apart", async () => {
    const cutting = await startSimulator({ port: 0, seed: 8, symbols: 10, tickRate: 300, binanceMaxSessionMs: 4000 });
    const main = sim;
    sim = cutting;
    const sh = shard("life-2", { BINANCE_MAX_SESSION_MS: "4s" });
    try {
      await sh.start();
      await sleep(7000);
      expect(usdm().sessionLimit).toBe(0);
      expect(sh.status()["binance-usdm"]).toMatchObject({ connections: 3 });
    } finally {
      await sh.stop();
      sim = main;
      await cutting.close();
    }
    const ids = ["a/binance-usdm-0", "a/binance-usdm-1", "a/binance-usdm-2", "b/binance-usdm-0"];
    const at = ids.map((id) => sessionLifetime(id, 86_400_000));
    for (const t of at) expect(t).toBeGreaterThanOrEqual(0.8 * 86_400_000);
    for (const t of at) expect(t).toBeLessThanOrEqual(0.95 * 86_400_000);
    expect(new Set(at).size).toBe(at.length);
  }, 20_000);
});
