import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../../sim/mod.ts";
import { BUCKET } from "../../../lib/platform/streams.ts";
import { encode } from "../../../lib/contracts/codec.ts";
import type { FeedStatus, MarketSnapshot, TickBatch } from "../../../lib/contracts/messages.ts";
import { subjects } from "../../../lib/contracts/subjects.ts";
import { systemClock } from "../../runtime/mod.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "../testkit.ts";
import { parseRetryAfter, PollerService } from "./poller.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 9, symbols: 40, tickRate: 50, coingeckoRpm: 10_000 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

function poller(id: string, calls: Array<{ at: number; status: number }> = []) {
  const s = testSettings({ FEED: "sim", COINGECKO_URL: sim.urls.coingecko, COINGECKO_BACKOFF_MS: "100", COINGECKO_RATE_PER_MIN: "6000", COINGECKO_PER_PAGE: "50", COINGECKO_INTERVAL_MS: "60000" });
  const f: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    calls.push({ at: Date.now(), status: res.status });
    return res;
  };
  return new PollerService({ holderId: id, js: bus.js, kv: bus.kv[BUCKET.leaders]!, leaseMs: LEASE, clock: systemClock, settings: s, url: sim.urls.coingecko, fetch: f });
}

describe("CoinGecko poller", () => {
  it("backs off on 429 and waits at least what Retry-After asks", async () => {
    sim.faults({ force429: 2 });
    const calls: Array<{ at: number; status: number }> = [];
    const p = poller("p-429", calls);
    await p.start();
    try {
      await waitFor("a successful poll", () => p.polls >= 1 || undefined, 10_000);
      expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
      // First 429 carried Retry-After: 1 (s) — longer than the 100 ms backoff — and was obeyed.
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
      // The second 429 (an HTML page, no Retry-After) waited the doubled backoff, 200 ms.
      expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(200);
      const snaps = await readStored<MarketSnapshot>(bus.js, bus.jsm, subjects.allMarkets);
      expect(snaps.length).toBe(40);
      expect(snaps.find((m) => m.value.coin === "bitcoin")?.value).toMatchObject({ v: 1, symbol: "BTC", rank: expect.any(Number) });
    } finally {
      await p.stop();
      sim.faults({ reset: true });
    }
  });

  it("only the leader polls", async () => {
    const a = poller("p-a");
    const b = poller("p-b");
    await a.start();
    await b.start();
    try {
      await waitFor("a poll", () => a.polls + b.polls >= 1 || undefined);
      expect([a.leader.isLeader(), b.leader.isLeader()].filter(Boolean)).toHaveLength(1);
      expect(a.polls * b.polls).toBe(0);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("publishes degraded coingecko ticks while an exchange feed is down, and stops when it is up", async () => {
    const p = poller("p-degraded");
    const feed = (state: FeedStatus["state"], ts: number) =>
      bus.js.publish(subjects.feed("coinbase"), encode({ v: 1, venue: "coinbase", state, ts } satisfies FeedStatus));
    await feed("down", Date.now());
    await p.start();
    try {
      await waitFor("the feed seen as down", () => p.feedDown() || undefined);
      await p.pollOnce();
      const ticks = (await readStored<TickBatch>(bus.js, bus.jsm, "md.tick.coingecko.>")).flatMap((m) => m.value.ticks);
      expect(ticks.length).toBeGreaterThan(0);
      expect(ticks.find((t) => t.symbol === "BTC-USD")).toMatchObject({ venue: "coingecko", price: expect.any(Number) });
      await feed("up", Date.now());
      await waitFor("the feed seen as up", () => !p.feedDown() || undefined);
      const before = ticks.length;
      await p.pollOnce();
      expect((await readStored<TickBatch>(bus.js, bus.jsm, "md.tick.coingecko.>")).flatMap((m) => m.value.ticks).length).toBe(before);
    } finally {
      await p.stop();
    }
  });

  it("parseRetryAfter() reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2", 0)).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});
