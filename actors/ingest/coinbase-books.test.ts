import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { BookSnapshot, GapEvent } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import type { LevelBook } from "./coinbase/books.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
const DEPTH = 10;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 17, symbols: 20, tickRate: 200, heartbeatMs: 200 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

type Levels = { bids: Array<[number, number]>; asks: Array<[number, number]> };
async function simBook(product: string): Promise<Levels> {
  const res = await fetch(`${sim.urls.control}/book?symbol=${product}`);
  const b = (await res.json()) as { bids: [string, string][]; asks: [string, string][] };
  const num = (xs: [string, string][]) => xs.map(([p, q]) => [Number(p), Number(q)] as [number, number]);
  return { bids: num(b.bids), asks: num(b.asks) };
}

/** Freeze the product's book at the simulator, let what is in flight arrive, then compare the whole book. */
async function sameBookAsVenue(book: LevelBook, product: string): Promise<void> {
  sim.faults({ stall: { ms: 1500, product } });
  await sleep(400);
  const want = await simBook(product);
  const got = book.top(Number.MAX_SAFE_INTEGER);
  expect(got.bids.length).toBeGreaterThan(5);
  expect(got).toEqual(want);
  await sleep(1200); // the stall ends
}

describe("Coinbase Advanced Trade level2 books (simulator /coinbase-advanced)", () => {
  it("keeps each book equal to the venue's from snapshot + updates; a lost message (sequence_num jump) → md.gap, resubscribe, fresh snapshot", async () => {
    const s = testSettings({
      FEED: "sim,coinbase", SIM_URL: sim.urls.binanceRest, COINBASE_API: "advanced", TRADES: "false",
      BOOK_DEPTH: String(DEPTH), BOOK_INTERVAL_MS: "100", VALIDATE_PUBLISHED: "true",
    });
    const metrics = new Metrics();
    const shard = new ShardService({
      shardId: "cb-books", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock, metrics,
      settings: s, endpoints: venueEndpoints(s), products: { coinbase: ["BTC-USD", "ETH-USD"] },
    });
    await shard.start();
    const books = shard.venues.get("coinbase")!.l2!;
    try {
      const btc = await waitFor("a synced BTC-USD book", () => (books.get("BTC-USD")?.synced ? books.get("BTC-USD") : undefined));
      await sleep(500); // updates on top of the snapshot
      await sameBookAsVenue(btc, "BTC-USD");
      expect(books.snapshots).toBe(2);
      expect(books.resyncs).toBe(0);
      // Three level2 messages of BTC-USD lost on its connection: its sequence_num jumps.
      sim.faults({ skipSequence: { next: 3, product: "BTC-USD", venue: "coinbase" } });
      const gapsSeen = () => metrics.counter("ingest_connection_gaps_total", "").get({ venue: "coinbase", shard: "cb-books" });
      await waitFor("the sequence_num jump", () => gapsSeen() >= 1 || undefined);
      await waitFor("BTC-USD synced again", () => btc.synced || undefined);
      // At once: a book that missed updates heals as the price walks over its stale levels.
      await sameBookAsVenue(btc, "BTC-USD");
      expect(books.resyncs).toBeGreaterThanOrEqual(2); // both products share the connection
      expect(books.snapshots).toBeGreaterThanOrEqual(4);
      await sameBookAsVenue(books.get("ETH-USD")!, "ETH-USD");
    } finally {
      sim.faults({ reset: true });
      await shard.stop();
    }
    const gaps = (await readStored<GapEvent>(bus.js, bus.jsm, subjects.gap("coinbase", "BTC-USD"))).map((m) => GapEvent.parse(m.value));
    expect(gaps[0]).toMatchObject({ venue: "coinbase", symbol: "BTC-USD", reason: "connection_sequence" });
    const snaps = (await readStored<BookSnapshot>(bus.js, bus.jsm, subjects.book("coinbase", "BTC-USD"))).map((m) => BookSnapshot.parse(m.value));
    expect(snaps.length).toBeGreaterThan(5);
    for (let i = 1; i < snaps.length; i++) expect(snaps[i]!.lastUpdateId).toBeGreaterThan(snaps[i - 1]!.lastUpdateId);
    for (const snap of snaps) {
      const bids = snap.levels.filter((l) => l.side === "bid");
      const asks = snap.levels.filter((l) => l.side === "ask");
      expect(bids).toHaveLength(DEPTH);
      expect(bids[0]!.price).toBeLessThan(asks[0]!.price);
    }
  }, 30_000);
});
