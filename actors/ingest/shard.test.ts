import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { decode } from "../../lib/contracts/codec.ts";
import { FeedStatus, GapEvent, type Tick, TickBatch } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { type IngestSettings, venueEndpoints } from "./settings.ts";
import { productsFromList } from "./products.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 11, symbols: 40, tickRate: 400, heartbeatMs: 200 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

function settings(env: Record<string, string> = {}): IngestSettings {
  return testSettings({
    FEED: "sim",
    SIM_URL: sim.urls.binanceRest,
    COINBASE_WS_URL: sim.urls.coinbaseWs,
    BINANCE_WS_URL: sim.urls.binanceWs,
    BINANCE_REST_URL: sim.urls.binanceRest,
    ...env,
  });
}

let n = 0;
function makeShard(s: IngestSettings, products: string[], metrics = new Metrics()): ShardService {
  const endpoints = venueEndpoints(s);
  return new ShardService({
    shardId: `test-${++n}-${Math.random().toString(36).slice(2, 6)}`,
    js: bus.js,
    nc: bus.nc,
    jsm: bus.jsm,
    kv: bus.kv[BUCKET.shards]!,
    leaseMs: LEASE,
    clock: systemClock,
    metrics,
    settings: s,
    endpoints,
    products: productsFromList(products, endpoints.map((e) => e.venue)),
    coinbaseGapCheck: true,
  });
}

const ticksOf = async (filter: string) => (await readStored<TickBatch>(bus.js, bus.jsm, filter)).flatMap((m) => m.value.ticks);

describe("connection shard against the simulator", () => {
  it("publishes normalised ticks of both venues to JetStream, each sequence stored once", async () => {
    const s = settings({ BOOKS: "false" });
    const shard = makeShard(s, ["BTC", "ETH"]);
    await shard.start();
    try {
      for (const subj of [subjects.tick("coinbase", "BTC-USD"), subjects.tick("binance", "ETH-USDT")]) {
        await waitFor(`ticks on ${subj}`, async () => (await ticksOf(subj)).length >= 5 || undefined);
      }
      expect(shard.owned()).toEqual(["binance:BTCUSDT", "binance:ETHUSDT", "coinbase:BTC-USD", "coinbase:ETH-USD"]);
    } finally {
      await shard.stop();
    }
    const ticks = await ticksOf(subjects.tick("coinbase", "BTC-USD"));
    for (const t of ticks) expect(t).toMatchObject({ venue: "coinbase", symbol: "BTC-USD" });
    const seqs = ticks.map((t) => t.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const bn = await ticksOf(subjects.tick("binance", "ETH-USDT"));
    expect(bn[0]).toMatchObject({ venue: "binance", symbol: "ETH-USDT" });
    expect(bn[0]!.bid! < bn[0]!.ask!).toBe(true);
  });

  it("a skipped sequence number produces a gap event and a resubscribe", async () => {
    const s = settings({ FEED: "coinbase", COINBASE_WS_URL: sim.urls.coinbaseWs });
    const shard = makeShard(s, ["coinbase:SOL-USD", "coinbase:XRP-USD"]);
    const before = (sim.stats().venues as { coinbase: { messagesIn: number } }).coinbase.messagesIn;
    await shard.start();
    try {
      await waitFor("first SOL ticks", async () => (await ticksOf(subjects.tick("coinbase", "SOL-USD"))).length >= 3 || undefined);
      const subscribes = (sim.stats().venues as { coinbase: { messagesIn: number } }).coinbase.messagesIn - before;
      sim.faults({ skipSequence: { next: 1, venue: "coinbase", product: "SOL-USD" } });
      const gaps = await waitFor("a gap event", async () => {
        const g = await readStored<unknown>(bus.js, bus.jsm, subjects.gap("coinbase", "SOL-USD"));
        return g.length > 0 ? g : undefined;
      });
      const ev = decode(GapEvent, JSON.stringify(gaps[0]!.value));
      expect(ev.ok && ev.value.got - ev.value.expected).toBe(1);
      // The resubscribe is an unsubscribe and a subscribe on the same connection.
      await waitFor("the resubscribe", () => {
        const now = (sim.stats().venues as { coinbase: { messagesIn: number } }).coinbase.messagesIn - before;
        return now >= subscribes + 2 || undefined;
      });
      // Ticks keep flowing after it, without another gap.
      const count = (await ticksOf(subjects.tick("coinbase", "SOL-USD"))).length;
      await waitFor("ticks after the resubscribe", async () => (await ticksOf(subjects.tick("coinbase", "SOL-USD"))).length > count + 3 || undefined);
      expect((await readStored(bus.js, bus.jsm, subjects.gap("coinbase", "SOL-USD"))).length).toBe(1);
    } finally {
      await shard.stop();
      sim.faults({ reset: true });
    }
  });

  it("a stalled stream is detected by the watchdog and reconnected", async () => {
    const s = settings({ FEED: "coinbase", STALE_MS: "600" });
    const metrics = new Metrics();
    const shard = makeShard(s, ["coinbase:ADA-USD"], metrics);
    await shard.start();
    try {
      await waitFor("first ticks", async () => (await ticksOf(subjects.tick("coinbase", "ADA-USD"))).length >= 2 || undefined);
      const reconnects = () => metrics.counter("ingest_reconnects_total", "").get({ venue: "coinbase", shard: shard.id });
      expect(reconnects()).toBe(0);
      sim.faults({ stall: { ms: 1500, venue: "coinbase" } });
      await waitFor("a reconnect", () => reconnects() >= 1 || undefined);
      const count = (await ticksOf(subjects.tick("coinbase", "ADA-USD"))).length;
      await waitFor("ticks after the reconnect", async () => (await ticksOf(subjects.tick("coinbase", "ADA-USD"))).length > count || undefined);
    } finally {
      await shard.stop();
    }
  });

  it("malformed frames are counted and skipped, and the shard keeps publishing", async () => {
    const s = settings({ FEED: "coinbase" });
    const metrics = new Metrics();
    const shard = makeShard(s, ["coinbase:DOGE-USD"], metrics);
    await shard.start();
    try {
      await waitFor("first ticks", async () => (await ticksOf(subjects.tick("coinbase", "DOGE-USD"))).length >= 2 || undefined);
      sim.faults({ malformed: { next: 5, venue: "coinbase" } });
      const bad = () => metrics.counter("ingest_bad_frames_total", "").get({ venue: "coinbase" });
      await waitFor("5 bad frames counted", () => bad() >= 5 || undefined);
      const count = (await ticksOf(subjects.tick("coinbase", "DOGE-USD"))).length;
      await waitFor("ticks after the bad frames", async () => (await ticksOf(subjects.tick("coinbase", "DOGE-USD"))).length > count + 2 || undefined);
      expect(bad()).toBe(5);
    } finally {
      await shard.stop();
      sim.faults({ reset: true });
    }
  });

  it("a dropped connection reconnects and publishes no tick twice", async () => {
    const s = settings({ FEED: "coinbase" });
    const shard = makeShard(s, ["coinbase:LTC-USD"]);
    await shard.start();
    try {
      const subj = subjects.tick("coinbase", "LTC-USD");
      await waitFor("first ticks", async () => (await ticksOf(subj)).length >= 2 || undefined);
      sim.faults({ drop: { venue: "coinbase" } });
      const count = (await ticksOf(subj)).length;
      await waitFor("ticks after the drop", async () => (await ticksOf(subj)).length > count + 3 || undefined);
      const seqs = (await ticksOf(subj)).map((t) => t.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await shard.stop();
    }
  });

  it("binds its upstream connections to SHARD_LOCAL_ADDRESS", async () => {
    const s = settings({ FEED: "coinbase", SHARD_LOCAL_ADDRESS: "127.0.0.2" });
    const shard = makeShard(s, ["coinbase:BNB-USD"]);
    await shard.start();
    try {
      await waitFor("ticks", async () => (await ticksOf(subjects.tick("coinbase", "BNB-USD"))).length >= 1 || undefined);
      const conns = (await (await fetch(`${sim.urls.control}/connections`)).json()) as Array<{ remoteAddress: string }>;
      expect(conns.map((c) => c.remoteAddress.replace(/^::ffff:/, ""))).toContain("127.0.0.2");
    } finally {
      await shard.stop();
    }
  });

  it("an unreachable upstream opens the breaker and publishes the feed as down", async () => {
    const s = settings({ FEED: "coinbase", COINBASE_WS_URL: "ws://127.0.0.1:1/coinbase", BREAKER_FAILURES: "3", RECONNECT_BASE_MS: "20" });
    const shard = makeShard(s, ["coinbase:BTC-USD"]);
    await shard.start();
    try {
      const st = await waitFor("a feed status", async () => {
        const m = await readStored<FeedStatus>(bus.js, bus.jsm, subjects.feed("coinbase"));
        return m.length > 0 ? m : undefined;
      });
      expect(st[0]!.value).toMatchObject({ v: 1, venue: "coinbase", state: "down" });
      expect(shard.status().coinbase).toMatchObject({ breaker: "open" });
    } finally {
      await shard.stop();
    }
  });
});

export type { Tick };
