/**
 * Coalescers divide the work: with COALESCER_PARTITIONS equal to the tick subjects'
 * partitions (16, the default), each coalescer has one consumer per owned partition
 * and receives only those partitions' tick messages (a real nats-server 2.9 with one
 * filter subject per consumer). Ownership moves keep each room's seq contiguous.
 */
import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { BUCKET, STREAM } from "../../lib/platform/streams.ts";
import { rooms, TICK_PARTITIONS, tickPartition } from "../../lib/contracts/subjects.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { systemClock } from "../runtime/mod.ts";
import { useBus } from "../../test/bus-fixture.ts";
import { coalescerSettings } from "./config.ts";
import { CoalescerService } from "./service.ts";
import { contiguous, publishTicks, recordRooms, waitFor } from "./testing.ts";

const LEASE_MS = 2000;
const config = loadConfig(coalescerSettings, { COALESCE_INTERVAL: "50ms" });

describe("partitioned coalescers on a real nats-server", () => {
  const bus = useBus({ leaseMs: LEASE_MS });

  async function coalescer(id: string): Promise<CoalescerService> {
    const conn = await bus.connect();
    const svc = new CoalescerService({
      nc: conn,
      js: jetstream(conn),
      jsm: await jetstreamManager(conn),
      kv: await new Kvm(conn).open(BUCKET.coalescers),
      clock: systemClock,
      leaseMs: LEASE_MS,
      pollMs: 200,
      memberId: id,
      config,
    });
    await svc.start();
    return svc;
  }
  const active = (s: CoalescerService) => s.core.ownedPartitions().filter((p) => s.core.isActive(p));
  const consumersOf = async () => {
    const names: string[] = [];
    // (the takeover's one-shot reads leave short-lived ephemeral consumers of their own)
    for await (const c of (await jetstreamManager(bus.nc)).consumers.list(STREAM.md)) if (c.name.startsWith("coalescer_")) names.push(c.name);
    return names.sort();
  };

  it("gives each coalescer only the tick messages of its own partitions, and keeps room seqs contiguous across an ownership move", async () => {
    expect(config.COALESCER_PARTITIONS).toBe(TICK_PARTITIONS);
    const js = jetstream(bus.nc);
    const a = await coalescer("pa");
    const b = await coalescer("pb");
    await waitFor(() => active(a).length + active(b).length === TICK_PARTITIONS && active(a).length > 0 && active(b).length > 0,
      "both coalescers settled", 30_000);
    // One consumer per owned partition, filtered to it.
    let names: string[] = [];
    await waitFor(async () => (names = await consumersOf()).length === TICK_PARTITIONS, "given-up partitions' consumers deleted", 30_000);
    expect(names.filter((n) => n.startsWith("coalescer_pa_p")).length).toBe(active(a).length);

    const rec = recordRooms(bus.nc, "room.ticker.*");
    const symbols = Array.from({ length: 48 }, (_, i) => `Q${i}-USD`);
    const m0 = { a: a.stats.messages, b: b.stats.messages };
    for (let round = 1; round <= 3; round++) {
      for (const symbol of symbols) await publishTicks(js, [{ symbol, price: round }]);
      await waitFor(() => symbols.every((s) => rec.of(rooms.ticker(s)).some((r) => (r.data as { price: number }).price === round)), `round ${round}`, 30_000);
    }
    const ofA = symbols.filter((s) => a.core.owns(s));
    expect(ofA.length).toBeGreaterThan(0);
    expect(ofA.length).toBeLessThan(symbols.length);
    expect(ofA.every((s) => active(a).includes(tickPartition(s)))).toBe(true);
    // Each received exactly its own symbols' messages: nothing to decode and throw away.
    expect(a.stats.messages - m0.a).toBe(3 * ofA.length);
    expect(b.stats.messages - m0.b).toBe(3 * (symbols.length - ofA.length));
    expect(a.stats.skipped + b.stats.skipped).toBe(0);

    // Ownership move: a leaves cleanly, b takes its partitions over and continues each room's seq.
    await a.stop();
    await waitFor(() => active(b).length === TICK_PARTITIONS, "b owns every partition", 30_000);
    await waitFor(async () => (await consumersOf()).length === TICK_PARTITIONS, "a's consumers deleted", 30_000);
    expect((await consumersOf()).every((n) => n.startsWith("coalescer_pb_p"))).toBe(true);
    for (const symbol of symbols) await publishTicks(js, [{ symbol, price: 4 }]);
    await waitFor(() => symbols.every((s) => rec.of(rooms.ticker(s)).some((r) => (r.data as { price: number }).price === 4)), "round 4", 30_000);
    for (const s of symbols) expect(contiguous(rec.of(rooms.ticker(s)).map((m) => m.seq)), s).toBe(true);
    rec.stop();
    await b.stop();
  }, 120_000);
});
