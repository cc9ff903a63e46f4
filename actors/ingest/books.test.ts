import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BookSnapshot } from "../../lib/contracts/messages.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 5, symbols: 30, tickRate: 600 })]);
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
const simBook = async (symbol: string): Promise<SimBook> => (await (await fetch(`${sim.urls.control}/book?symbol=${symbol}`)).json()) as SimBook;
const num = (xs: [string, string][]) => xs.map(([p, q]) => [Number(p), Number(q)]);

describe("Binance order books", () => {
  it("the shard's book equals the simulator's book after random diffs, gaps and resyncs", async () => {
    const s = testSettings({
      FEED: "binance", BINANCE_WS_URL: sim.urls.binanceWs, BINANCE_REST_URL: sim.urls.binanceRest, BOOK_DEPTH: "10", STALE_MS: "10000",
    });
    const shard = new ShardService({
      shardId: "books-1", js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints: venueEndpoints(s), products: { binance: ["BTCUSDT", "ETHUSDT", "SOLUSDT"] },
    });
    await shard.start();
    try {
      const books = shard.venues.get("binance")!.books!;
      await waitFor("a synced BTC book", () => books.get("BTCUSDT")?.state === "synced" || undefined);
      // Lose update ids on the diff stream now and then: each loss is a gap and a resync.
      sim.faults({ skipSequence: { probability: 0.2, venue: "binance" } });
      await waitFor("3 resyncs", () => books.resyncs >= 3 || undefined);
      sim.faults({ reset: true });
      await waitFor("books synced again", () => ["BTCUSDT", "ETHUSDT"].every((p) => books.get(p)?.state === "synced") || undefined);
      await sleep(300);
      // Freeze BTC (no more ticks, so no more book changes) and let the last diff arrive.
      sim.faults({ stall: { ms: 4000, product: "BTCUSDT" } });
      const want = await waitFor("the shard's book to reach the simulator's update id", async () => {
        const sb = await simBook("BTCUSDT");
        return books.get("BTCUSDT")!.lastUpdateId === sb.lastUpdateId && books.get("BTCUSDT")!.state === "synced" ? sb : undefined;
      }, 5000);
      const mine = books.get("BTCUSDT")!.top(1000);
      expect(mine.bids).toEqual(num(want.bids));
      expect(mine.asks).toEqual(num(want.asks));
      expect(mine.bids.length).toBeGreaterThan(5);
      // Gap events were published, and the flattened top levels went to md.book.
      expect((await readStored(bus.js, bus.jsm, "md.gap.binance.>")).length).toBeGreaterThanOrEqual(3);
      const snaps = await waitFor("a book snapshot at that update id", async () => {
        const xs = await readStored<BookSnapshot>(bus.js, bus.jsm, subjects.book("binance", "BTC-USDT"));
        return xs.find((x) => x.value.lastUpdateId === want.lastUpdateId);
      }, 3000);
      const snap = BookSnapshot.parse(snaps.value);
      expect(snap.levels.filter((l) => l.side === "bid").map((l) => [l.price, l.qty])).toEqual(num(want.bids).slice(0, 10));
      expect(snap.levels.filter((l) => l.side === "ask").map((l) => [l.price, l.qty])).toEqual(num(want.asks).slice(0, 10));
      expect((await readStored(bus.js, bus.jsm, subjects.bookDelta("binance", "BTC-USDT"))).length).toBeGreaterThan(3);
    } finally {
      await shard.stop();
      sim.faults({ reset: true });
    }
  });
});
