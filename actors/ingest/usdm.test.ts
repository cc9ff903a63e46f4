import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BookDelta, BookSnapshot, GapEvent, TradeBatch } from "../../lib/contracts/messages.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { resolveProducts, symbolsOf } from "./products.ts";
import { ShardService } from "./shard.ts";
import { type IngestSettings, venueEndpoints } from "./settings.ts";
import { type Bus, readStored, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
const DEPTH = 10;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 9, symbols: 30, tickRate: 600, bookHistory: 50_000 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

interface SimBook {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}
const num = (xs: [string, string][]) => xs.map(([p, q]) => [Number(p), Number(q)]);
async function simBookAt(symbol: string, id: number): Promise<SimBook | undefined> {
  const res = await fetch(`${sim.urls.control}/book?symbol=${symbol}&venue=binance-usdm&at=${id}`);
  return res.ok ? ((await res.json()) as SimBook) : undefined;
}

function usdmSettings(env: Record<string, string> = {}): IngestSettings {
  return testSettings({
    FEED: "binance-usdm",
    BINANCE_USDM_WS_URL: sim.urls.binanceUsdmWs,
    BINANCE_USDM_REST_URL: sim.urls.binanceUsdmRest,
    BOOK_DEPTH: String(DEPTH),
    BOOK_INTERVAL_MS: "100",
    STALE_MS: "10000",
    VALIDATE_PUBLISHED: "true",
    ...env,
  });
}

function shardFor(s: IngestSettings, products: Record<string, string[]>, id: string, symbols = {}, metrics?: Metrics): ShardService {
  return new ShardService({
    shardId: id, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock, ...(metrics ? { metrics } : {}),
    settings: s, endpoints: venueEndpoints(s), products, symbols,
  });
}

describe("Binance USD-M futures as venue binance-usdm", () => {
  it("every book snapshot published equals the simulator's book at that update id, through broken pu chains and resyncs", async () => {
    const s = usdmSettings();
    const shard = shardFor(s, { "binance-usdm": ["BTCUSDT", "ETHUSDT"] }, "usdm-1");
    await shard.start();
    try {
      const books = shard.venues.get("binance-usdm")!.books!;
      await waitFor("a synced BTC futures book", () => books.get("BTCUSDT")?.state === "synced" || undefined);
      await sleep(1500);
      expect(books.resyncs).toBe(0); // a valid pu chain with jumping ids is not a gap
      // Lose whole diff events now and then: each loss breaks the pu chain.
      sim.faults({ skipSequence: { probability: 0.15, venue: "binance-usdm" } });
      await waitFor("3 resyncs", () => books.resyncs >= 3 || undefined);
      sim.faults({ reset: true });
      await waitFor("books synced again", () => ["BTCUSDT", "ETHUSDT"].every((p) => books.get(p)?.state === "synced") || undefined);
      await sleep(1500);
    } finally {
      await shard.stop();
      sim.faults({ reset: true });
    }
    const snaps = (await readStored<BookSnapshot>(bus.js, bus.jsm, subjects.book("binance-usdm", "BTC-USDT"))).map((m) => BookSnapshot.parse(m.value));
    expect(snaps.length).toBeGreaterThan(10);
    for (const snap of snaps) {
      expect(snap.market).toBe("usdm");
      const want = await simBookAt("BTCUSDT", snap.lastUpdateId);
      expect(want, `the simulator's book at ${snap.lastUpdateId}`).toBeDefined();
      expect(snap.levels.filter((l) => l.side === "bid").map((l) => [l.price, l.qty])).toEqual(num(want!.bids).slice(0, DEPTH));
      expect(snap.levels.filter((l) => l.side === "ask").map((l) => [l.price, l.qty])).toEqual(num(want!.asks).slice(0, DEPTH));
    }
    const gaps = (await readStored<GapEvent>(bus.js, bus.jsm, "md.gap.binance-usdm.>")).map((m) => GapEvent.parse(m.value));
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    expect(gaps[0]!.venue).toBe("binance-usdm");
    const deltas = (await readStored<BookDelta>(bus.js, bus.jsm, subjects.bookDelta("binance-usdm", "BTC-USDT"))).map((m) => BookDelta.parse(m.value));
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.every((d) => d.market === "usdm")).toBe(true);
    // Futures ids jump between events: U is (almost always) not the previous u + 1.
    const jumps = deltas.slice(1).filter((d, i) => d.firstUpdateId !== deltas[i]!.lastUpdateId + 1).length;
    expect(jumps).toBeGreaterThan(deltas.length / 2);
  }, 60_000);

  it("lists products from /fapi/v1/exchangeInfo with symbols from baseAsset/quoteAsset, and publishes aggTrades as md.trade", async () => {
    const s = usdmSettings({ PRODUCTS_LIMIT: "3", BOOKS: "false" });
    const lists = await resolveProducts(s, venueEndpoints(s));
    expect(lists["binance-usdm"]).toHaveLength(3);
    const product = lists["binance-usdm"]![0]!;
    const symbol = symbolsOf(lists)["binance-usdm"]!.get(product)!;
    expect(symbol).toBe(`${product.slice(0, -4)}-USDT`);
    const shard = shardFor(s, lists, "usdm-2", symbolsOf(lists));
    await shard.start();
    try {
      await waitFor("trades", async () => (await readStored(bus.js, bus.jsm, subjects.trade("binance-usdm", symbol))).length >= 3 || undefined);
    } finally {
      await shard.stop();
    }
    const trades = (await readStored<TradeBatch>(bus.js, bus.jsm, subjects.trade("binance-usdm", symbol))).flatMap((m) => TradeBatch.parse(m.value).trades);
    expect(trades[0]).toMatchObject({ venue: "binance-usdm", market: "usdm", symbol });
    const ids = trades.map((t) => Number(t.tradeId));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(trades.every((t) => t.price > 0 && t.size > 0 && (t.side === "buy" || t.side === "sell"))).toBe(true);
  }, 30_000);

  it("a depth event whose E is beyond MAX_CLOCK_SKEW_MS of the receive time is counted and stamped with the receive time", async () => {
    const metrics = new Metrics();
    const shard = shardFor(usdmSettings({ TRADES: "false", MAX_CLOCK_SKEW_MS: "5000" }), { "binance-usdm": ["XRPUSDT"] }, "usdm-skew", {}, metrics);
    const skewed = () => metrics.counter("ingest_clock_skew_total", "").get({ venue: "binance-usdm", shard: "usdm-skew" });
    const subject = subjects.bookDelta("binance-usdm", "XRP-USDT");
    await shard.start();
    let n0 = 0;
    try {
      await waitFor("depth events", async () => (await readStored(bus.js, bus.jsm, subject)).length >= 3 || undefined);
      expect(skewed()).toBe(0);
      n0 = (await readStored(bus.js, bus.jsm, subject)).length;
      sim.faults({ clockSkewMs: 120_000 });
      await waitFor("skewed depth events counted", () => skewed() >= 3 || undefined);
      await waitFor("deltas stored after the skew", async () => (await readStored(bus.js, bus.jsm, subject)).length >= n0 + 3 || undefined);
    } finally {
      sim.faults({ reset: true });
      await shard.stop();
    }
    const deltas = (await readStored<BookDelta>(bus.js, bus.jsm, subject)).map((m) => BookDelta.parse(m.value));
    // Two minutes ahead at the venue, within a few seconds of now on the bus.
    for (const d of deltas) expect(Math.abs(d.ts - Date.now())).toBeLessThan(60_000);
  }, 30_000);
});
