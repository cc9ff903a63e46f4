import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { useBus } from "../../test/bus-fixture.ts";
import { BUCKET, STREAM } from "../../lib/platform/streams.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import type { Clock } from "../runtime/mod.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { TickerAllData } from "../../lib/contracts/protocol.ts";
import { coalescerSettings } from "./config.ts";
import { CoalescerService } from "./service.ts";
import { contiguous, publishTicks, recordRooms, waitFor } from "./testing.ts";

const LEASE_MS = 2000;
const POLL_MS = 200;
const config = loadConfig(coalescerSettings, { COALESCE_INTERVAL: "50ms", COALESCER_PARTITIONS: "8" });

describe("coalescer on a real nats-server", () => {
  const bus = useBus({ leaseMs: LEASE_MS });

  /** A coalescer on its own connection, so a test can cut it off like a crash. */
  async function coalescer(id: string, clock: Clock = systemClock): Promise<{ svc: CoalescerService; conn: NatsConnection }> {
    const conn = await bus.connect();
    const kv = await new Kvm(conn).open(BUCKET.coalescers);
    const svc = new CoalescerService({
      nc: conn,
      js: jetstream(conn),
      jsm: await jetstreamManager(conn),
      kv,
      clock,
      leaseMs: LEASE_MS,
      pollMs: POLL_MS,
      memberId: id,
      config,
    });
    await svc.start();
    return { svc, conn };
  }

  const owningAll = (svcs: CoalescerService[]) => () => svcs.flatMap((s) => s.core.ownedPartitions().filter((p) => s.core.isActive(p))).length === 8;

  it("turns ticks into room messages whose seq goes up by 1, and keeps the last one in ROOMS", async () => {
    const js = jetstream(bus.nc);
    const rec = recordRooms(bus.nc);
    const { svc } = await coalescer("solo");
    await waitFor(owningAll([svc]), "partitions");
    for (let round = 1; round <= 5; round++) {
      for (const symbol of ["BTC-USD", "ETH-USD", "SOL-USD"]) await publishTicks(js, [{ symbol, price: round * 10, open24h: 10 }]);
      await waitFor(() => rec.of(rooms.ticker("SOL-USD")).some((r) => (r.data as { price: number }).price === round * 10), `round ${round}`);
    }
    for (const symbol of ["BTC-USD", "ETH-USD", "SOL-USD"]) {
      const msgs = rec.of(rooms.ticker(symbol));
      expect(contiguous(msgs.map((m) => m.seq))).toBe(true);
      expect(msgs.map((m) => m.header)).toEqual(msgs.map((m) => String(m.seq)));
      expect(msgs.at(-1)!.data).toMatchObject({ symbol, price: 50, change24hPct: 400 });
    }
    const all = rec.of(rooms.tickerAll);
    expect(contiguous(all.map((m) => m.seq))).toBe(true);
    expect(TickerAllData.parse(all.at(-1)!.data).tickers.length).toBeGreaterThan(0);
    const seen = new Set(all.flatMap((m) => TickerAllData.parse(m.data).tickers.map((t) => t.symbol)));
    expect([...seen].sort()).toEqual(["BTC-USD", "ETH-USD", "SOL-USD"]);
    const jsm = await jetstreamManager(bus.nc);
    const last = await jsm.streams.getMessage(STREAM.rooms, { last_by_subj: subjects.room(rooms.ticker("BTC-USD")) });
    expect(JSON.parse(last!.string()).seq).toBe(rec.of(rooms.ticker("BTC-USD")).at(-1)!.seq);
    await svc.stop();
    rec.stop();
    // A clean stop acks everything and deletes the member's consumer.
    const names: string[] = [];
    for await (const c of jsm.consumers.list(STREAM.md)) names.push(c.name);
    expect(names.filter((n) => n.startsWith("coalescer_"))).toEqual([]);
  });

  it("flushes on a fixed cadence: waiting for PubAcks does not stretch the interval", async () => {
    const INTERVAL = 50; // COALESCE_INTERVAL above
    const fires: number[] = [];
    // Record when short timers (the flush timer) fire; everything else passes through.
    const clock: Clock = {
      ...systemClock,
      setTimeout: (fn, ms) => systemClock.setTimeout(ms <= INTERVAL ? () => { fires.push(Date.now()); fn(); } : fn, ms),
    };
    const js = jetstream(bus.nc);
    const { svc } = await coalescer("cadence", clock);
    await waitFor(owningAll([svc]), "partitions");
    const symbols = Array.from({ length: 60 }, (_, i) => `CAD${i}-USD`);
    let price = 1;
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        await publishTicks(js, symbols.map((symbol) => ({ symbol, price: price++ })));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const from = fires.length;
    await new Promise((r) => setTimeout(r, 1200));
    feeding = false;
    await feed;
    const f = fires.slice(from, from + 21);
    expect(f.length).toBeGreaterThanOrEqual(18);
    expect(svc.stats.flushes).toBeGreaterThan(15); // the flushes had work to do
    // Each flush is due one interval after the previous one was due: no drift builds up
    // (flushing after the previous flush finished drifts by every flush's duration).
    const drift = Math.max(...f.map((t, k) => t - (f[0]! + k * INTERVAL)));
    expect(drift).toBeLessThan(40);
    await svc.stop();
  });

  it("continues each room's seq after a restart instead of starting again at 1", async () => {
    const js = jetstream(bus.nc);
    const before = (await (await jetstreamManager(bus.nc)).streams.getMessage(STREAM.rooms, { last_by_subj: "room.ticker.BTC-USD" }))!;
    const lastSeq = JSON.parse(before.string()).seq as number;
    const rec = recordRooms(bus.nc);
    const { svc } = await coalescer("again");
    await waitFor(owningAll([svc]), "partitions");
    await publishTicks(js, [{ symbol: "BTC-USD", price: 77 }]);
    await waitFor(() => rec.of(rooms.ticker("BTC-USD")).length > 0, "BTC-USD after restart");
    expect(rec.of(rooms.ticker("BTC-USD"))[0]!.seq).toBe(lastSeq + 1);
    await svc.stop();
    rec.stop();
  });

  it("splits symbols between two coalescers with no overlap, one writer per room", async () => {
    const js = jetstream(bus.nc);
    const a = await coalescer("split-a");
    const b = await coalescer("split-b");
    await waitFor(owningAll([a.svc, b.svc]), "both coalescers settled");
    const pa = a.svc.core.ownedPartitions();
    const pb = b.svc.core.ownedPartitions();
    expect(pa.filter((p) => pb.includes(p))).toEqual([]);
    expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(pa.length).toBeGreaterThan(0);
    expect(pb.length).toBeGreaterThan(0);

    const rec = recordRooms(bus.nc);
    const symbols = Array.from({ length: 24 }, (_, i) => `S${i}-USD`);
    for (let round = 1; round <= 3; round++) {
      for (const symbol of symbols) await publishTicks(js, [{ symbol, price: round }]);
      await waitFor(() => symbols.every((s) => rec.of(rooms.ticker(s)).some((r) => (r.data as { price: number }).price === round)), `round ${round}`);
    }
    for (const s of symbols) {
      const seqs = rec.of(rooms.ticker(s)).map((m) => m.seq);
      expect(contiguous(seqs)).toBe(true); // a second writer would repeat or skip a seq
      const owner = a.svc.core.owns(s) ? a.svc : b.svc;
      expect(a.svc.core.owns(s) !== b.svc.core.owns(s)).toBe(true);
      expect(owner.core.latest.get(s)?.tick.price).toBe(3);
    }
    expect(contiguous(rec.of(rooms.tickerAll).map((m) => m.seq))).toBe(true);
    const inAll = new Set(rec.of(rooms.tickerAll).flatMap((m) => TickerAllData.parse(m.data).tickers.map((t) => t.symbol)));
    expect(symbols.every((s) => inAll.has(s))).toBe(true);
    rec.stop();
    await a.svc.stop();
    await b.svc.stop();
  });

  it("replaces a killed coalescer without any symbol going silent for more than a lease period", async () => {
    const js = jetstream(bus.nc);
    const a = await coalescer("kill-a");
    const b = await coalescer("kill-b");
    await waitFor(owningAll([a.svc, b.svc]), "both coalescers settled");
    const symbols = Array.from({ length: 16 }, (_, i) => `K${i}-USD`);
    const victims = symbols.filter((s) => a.svc.core.owns(s));
    expect(victims.length).toBeGreaterThan(0);
    const rec = recordRooms(bus.nc, "room.ticker.*");
    let price = 0;
    let killedAt = 0;
    const start = Date.now();
    while (Date.now() - start < 6000) {
      price++;
      await Promise.all(symbols.map((symbol) => publishTicks(js, [{ symbol, price }])));
      if (!killedAt && Date.now() - start > 1500) {
        // Like a crash: no lease delete, no consumer delete, no final flush.
        killedAt = Date.now();
        await a.conn.close();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => victims.every((s) => rec.of(rooms.ticker(s)).some((r) => (r.data as { price: number }).price === price)), "last prices", 5000);
    for (const s of symbols) {
      const msgs = rec.of(rooms.ticker(s)).filter((m) => m.at >= killedAt - 500);
      let gap = 0;
      for (let i = 1; i < msgs.length; i++) gap = Math.max(gap, msgs[i]!.at - msgs[i - 1]!.at);
      // Lease expiry (≤ LEASE_MS) + one membership poll + takeover + one flush.
      expect(gap).toBeLessThanOrEqual(LEASE_MS + POLL_MS + 600);
      expect(contiguous(rec.of(rooms.ticker(s)).map((m) => m.seq))).toBe(true);
    }
    expect(b.svc.core.ownedPartitions()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    rec.stop();
    await a.svc.stop();
    await b.svc.stop();
  });
});
