import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { TickBatch, MarketSnapshot } from "../../lib/contracts/messages.ts";
import type { HostContext } from "../host-context.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { runRoot, systemClock } from "../runtime/mod.ts";
import type { PoolKind } from "../placement.ts";
import { pollerChild, shardChild, shardPool } from "./mod.ts";
import { type Bus, readStored, startBus, waitFor } from "./testkit.ts";

let bus: Bus;
let sim: SimulatorHandle;
beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(2000), startSimulator({ port: 0, seed: 2, symbols: 20, tickRate: 200, coingeckoRpm: 1000 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

describe("ingest actors under a supervisor", () => {
  it("shardPool is a placement pool kind named shard", () => {
    const kind: PoolKind = shardPool;
    expect(kind.kind).toBe("shard");
  });

  it("shardChild() and pollerChild() run under runRoot, publish, report status and stop cleanly", async () => {
    const host: HostContext = {
      hostId: "host-t", nc: bus.nc, js: bus.js, jsm: bus.jsm, kv: bus.kv, clock: systemClock, metrics: new Metrics(), leaseMs: 2000,
      env: { FEED: "sim", SIM_URL: sim.urls.binanceRest, SHARDS: "2", PRODUCTS: "BTC,ETH,SOL,XRP", BOOKS: "false", COINGECKO_PER_PAGE: "20" },
    };
    const shards = shardChild(host);
    expect(shards.supervisor?.children.map((c) => c.id)).toEqual(["shard-0", "shard-1"]);
    const root = await runRoot({ children: [shards, pollerChild(host)] }, { onGiveUp: (e) => { throw e; } });
    try {
      await waitFor("ticks of every product", async () => {
        for (const s of ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"]) {
          if ((await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", s))).length === 0) return undefined;
        }
        return true;
      }, 20_000);
      await waitFor("market snapshots", async () => (await readStored<MarketSnapshot>(bus.js, bus.jsm, subjects.allMarkets)).length >= 20 || undefined);
      const rows = root.status();
      const shardRows = rows.filter((r) => /shard-\d$/.test(r.path));
      expect(shardRows.map((r) => r.state)).toEqual(["running", "running"]);
      const owned = shardRows.reduce((n, r) => n + ((r.extra?.owned as number) ?? 0), 0);
      expect(owned).toBe(8);
      expect(host.metrics.render()).toContain("ingest_frames_total");
    } finally {
      await root.stop();
    }
    expect(root.status().every((r) => r.state === "stopped" || r.path === "root")).toBe(true);
  });
});
