import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import type { TickBatch } from "../../lib/contracts/messages.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, sleep, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), startSimulator({ port: 0, seed: 3, symbols: 40, tickRate: 900 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

describe("scaling shards", () => {
  it("2 → 3 → 1 shards while ticking: no product owned twice, none unowned beyond a lease, no tick lost after the move", async () => {
    const products = sim.universe.products.slice(0, 30).map((p) => p.cbId).sort();
    const s = testSettings({ FEED: "coinbase", COINBASE_WS_URL: sim.urls.coinbaseWs, STALE_MS: "10000" });
    let n = 0;
    const make = () =>
      new ShardService({
        shardId: `scale-${n++}`, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
        settings: s, endpoints: venueEndpoints(s), products: { coinbase: products }, coinbaseGapCheck: true,
      });
    const shards: ShardService[] = [];
    const violations: string[] = [];
    const unownedSince = new Map<string, number>();
    let maxUnowned = 0;
    let watching = false;
    const sampler = setInterval(() => {
      const owners = new Map<string, string[]>();
      for (const sh of shards) for (const k of sh.owned()) owners.set(k, [...(owners.get(k) ?? []), sh.id]);
      const now = Date.now();
      for (const p of products) {
        const o = owners.get(`coinbase:${p}`) ?? [];
        if (o.length > 1) violations.push(`${p} owned by ${o.join(", ")}`);
        if (!watching) continue;
        if (o.length === 0) {
          const since = unownedSince.get(p) ?? now;
          unownedSince.set(p, since);
          maxUnowned = Math.max(maxUnowned, now - since);
        } else unownedSince.delete(p);
      }
    }, 20);
    const allOwned = () => shards.reduce((a, sh) => a + sh.owned().length, 0) === products.length;
    try {
      shards.push(make(), make());
      await Promise.all(shards.map((sh) => sh.start()));
      await waitFor("all products owned by 2 shards", () => allOwned() && shards.every((sh) => sh.owned().length > 0) || undefined);
      watching = true;
      await sleep(500);

      const third = make();
      shards.push(third);
      await third.start();
      await waitFor("the third shard to take products", () => third.owned().length > 0 && allOwned() || undefined, 10_000);
      await sleep(1000);

      // Scale down to one: the first two leave gracefully.
      for (const sh of shards.slice(0, 2)) await sh.stop();
      shards.splice(0, 2);
      await waitFor("the last shard to own everything", () => third.owned().length === products.length || undefined, 10_000);
      const settledAt = Date.now();
      await sleep(1500);
      watching = false;
      await third.stop();

      expect(violations).toEqual([]);
      expect(maxUnowned).toBeLessThanOrEqual(LEASE);
      // After the move settled, every product's sequences are contiguous: nothing lost, nothing twice.
      const ticks = (await readStored<TickBatch>(bus.js, bus.jsm, "md.tick.coinbase.>")).flatMap((m) => m.value.ticks);
      let checked = 0;
      for (const p of products) {
        const seqs = ticks.filter((t) => t.symbol === p && t.recvTs > settledAt + 200).map((t) => t.seq);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i], `${p} after ${seqs[i - 1]}`).toBe(seqs[i - 1]! + 1);
        checked += seqs.length;
      }
      expect(checked).toBeGreaterThan(100);
      const all = ticks.map((t) => `${t.symbol}:${t.seq}`);
      expect(new Set(all).size).toBe(all.length);
    } finally {
      clearInterval(sampler);
      for (const sh of shards) await sh.stop();
    }
  });
});
