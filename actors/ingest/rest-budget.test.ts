import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { FakeClock, systemClock } from "../runtime/mod.ts";
import { depthWeight, RateLimitedError, RestBudget } from "./binance/rest-budget.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 3, symbols: 20, tickRate: 400, binanceBanMs: 1500 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

interface Weight { requestsDuringBan: number; requestsBeforeRetryAfter: number; banned: number; throttled: number }
const usdmWeight = () => (sim.stats() as { binanceWeight: { usdm: Weight } }).binanceWeight.usdm;

function shard(id: string, env: Record<string, string> = {}): ShardService {
  const s = testSettings({
    FEED: "binance-usdm", BINANCE_USDM_WS_URL: sim.urls.binanceUsdmWs, BINANCE_USDM_REST_URL: sim.urls.binanceUsdmRest,
    STALE_MS: "10000", BINANCE_MIN_BAN_MS: "2500", TRADES: "false", ...env,
  });
  return new ShardService({
    shardId: id, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
    settings: s, endpoints: venueEndpoints(s), products: { "binance-usdm": ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"] },
  });
}

describe("Binance REST weight budget", () => {
  it("sends no request before Retry-After has passed after a 429, then syncs every book", async () => {
    sim.faults({ reset: true, force429: 1 });
    const before = usdmWeight();
    const sh = shard("budget-429");
    await sh.start();
    try {
      const books = sh.venues.get("binance-usdm")!.books!;
      await waitFor("every book synced", () => ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"].every((p) => books.get(p)?.state === "synced") || undefined);
      expect(books.budget.throttles).toBe(1);
    } finally {
      await sh.stop();
    }
    const after = usdmWeight();
    expect(after.throttled - before.throttled).toBe(1);
    // Any request inside the Retry-After second would have been counted here (and banned).
    expect(after.requestsBeforeRetryAfter - before.requestsBeforeRetryAfter).toBe(0);
    expect(after.banned - before.banned).toBe(0);
  }, 30_000);

  it("treats 418 as a ban: logged, a longer back-off, and 0 requests during the ban", async () => {
    sim.faults({ reset: true, force418: 1 });
    const before = usdmWeight();
    const sh = shard("budget-418");
    await sh.start();
    try {
      const books = sh.venues.get("binance-usdm")!.books!;
      await waitFor("the ban", () => books.budget.bans === 1 || undefined);
      const bannedAt = Date.now();
      // The simulator bans for 1.5 s (Retry-After: 2); the client backs off BINANCE_MIN_BAN_MS (2.5 s).
      expect(books.budget.blockedUntil - bannedAt).toBeGreaterThan(2000);
      await sleep(1000);
      expect(["BTCUSDT", "ETHUSDT"].some((p) => books.get(p)?.state === "synced")).toBe(false);
      await waitFor("every book synced after the ban", () => ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"].every((p) => books.get(p)?.state === "synced") || undefined);
    } finally {
      await sh.stop();
    }
    const after = usdmWeight();
    expect(after.banned - before.banned).toBe(1);
    expect(after.requestsDuringBan - before.requestsDuringBan).toBe(0);
  }, 30_000);

  it("queues requests past the minute's weight for the next window and takes the venue's count from X-MBX-USED-WEIGHT-1M", async () => {
    const clock = new FakeClock(60_000 * 100 + 1_000);
    const budget = new RestBudget({ venue: "binance-usdm", clock, weightPerMinute: 40 });
    await budget.acquire(20);
    // The venue counted more (another process on this IP): its header wins.
    budget.onResponse({ status: 200, headers: new Headers({ "x-mbx-used-weight-1m": "30" }) }, "u");
    expect(budget.waitMs(20)).toBe(59_000);
    let sent = false;
    const p = budget.acquire(20).then(() => (sent = true));
    await clock.advanceAsync(58_000);
    expect(sent).toBe(false);
    await clock.advanceAsync(1_000);
    await p;
    expect(sent).toBe(true);
    expect(() => budget.onResponse({ status: 429, headers: new Headers({ "retry-after": "7" }) }, "u")).toThrow(RateLimitedError);
    expect(budget.waitMs(1)).toBe(7_000);
    expect(depthWeight("usdm", 1000)).toBe(20);
    expect(depthWeight("spot", 1000)).toBe(50);
  });
});
