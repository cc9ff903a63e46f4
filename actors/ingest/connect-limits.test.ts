import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  // Binance's "300 connections per 5 minutes per IP", scaled down: 3 handshakes a second.
  [bus, sim] = await Promise.all([
    startBus(LEASE),
    startSimulator({ port: 0, seed: 5, symbols: 20, tickRate: 200, binanceWsConnLimit: 3, binanceWsConnWindowMs: 1000, binanceBanMs: 1500 }),
  ]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

interface Conns { refused: number; banned: number; attemptsDuringBan: number; attemptsBeforeRetryAfter: number }
const spotConns = () => (sim.stats() as { binanceConnections: { spot: Conns } }).binanceConnections.spot;
const PRODUCTS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT", "AVAXUSDT", "DOTUSDT"];

function shard(id: string, products: string[]): ShardService {
  // One product per connection: 8 sockets for a venue that takes 3 handshakes a second.
  const s = testSettings({
    FEED: "binance", BINANCE_WS_URL: sim.urls.binanceWs, BINANCE_REST_URL: sim.urls.binanceRest, BOOKS: "false", TRADES: "false",
    PRODUCTS_PER_CONNECTION: "1", STALE_MS: "10000", BINANCE_MIN_BAN_MS: "2500",
  });
  return new ShardService({
    shardId: id, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
    settings: s, endpoints: venueEndpoints(s), products: { binance: products },
  });
}
const open = (sh: ShardService) => (sh.status().binance as { open: number }).open;

describe("Binance WebSocket connection limit through the simulator (429 / 418 on the handshake, Retry-After)", () => {
  it("after a 429 no socket tries again before Retry-After: every socket opens, never banned", async () => {
    const before = spotConns();
    const sh = shard("conn-429", PRODUCTS);
    await sh.start();
    try {
      await waitFor("all 8 sockets open", () => open(sh) === 8 || undefined, 15_000);
      expect(sh.venues.get("binance")!.gate.refusals).toBeGreaterThanOrEqual(1);
    } finally {
      await sh.stop();
    }
    const after = spotConns();
    expect(after.refused - before.refused).toBeGreaterThanOrEqual(1);
    // A handshake sent inside a Retry-After would have been counted here, and banned.
    expect(after.attemptsBeforeRetryAfter - before.attemptsBeforeRetryAfter).toBe(0);
    expect(after.banned - before.banned).toBe(0);
    await sleep(1100); // the window empties for the next test
  }, 30_000);

  it("a 418 is a ban: logged, no handshake until max(Retry-After, BINANCE_MIN_BAN_MS), then the sockets open", async () => {
    sim.faults({ reset: true, wsForce418: 1 });
    const before = spotConns();
    const sh = shard("conn-418", PRODUCTS.slice(0, 2));
    const t0 = Date.now();
    await sh.start();
    try {
      const gate = sh.venues.get("binance")!.gate;
      await waitFor("the ban", () => gate.bans === 1 || undefined);
      // The simulator bans for 1.5 s (Retry-After: 2); the shard waits BINANCE_MIN_BAN_MS (2.5 s).
      expect(gate.blockedUntil - t0).toBeGreaterThanOrEqual(2400);
      await waitFor("both sockets open after the ban", () => open(sh) === 2 || undefined, 10_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
    } finally {
      await sh.stop();
      sim.faults({ reset: true });
    }
    const after = spotConns();
    expect(after.banned - before.banned).toBe(1);
    expect(after.attemptsDuringBan - before.attemptsDuringBan).toBe(0);
  }, 30_000);
});
