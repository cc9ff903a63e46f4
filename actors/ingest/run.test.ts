import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { TickBatch } from "../../lib/contracts/messages.ts";
import { type Bus, readStored, startBus, waitFor } from "./testkit.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(2000), startSimulator({ port: 0, seed: 1, symbols: 20, tickRate: 300 })]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

describe("ingest runner", () => {
  it("starts in order, and on SIGTERM flushes, closes its connections, leaves, and exits 0 within 10 s", async () => {
    const child = spawnTsx("actors/ingest/run.ts", {
      env: {
        NATS_URL: bus.ns.url, LEASE_MS: "2000", FEED: "sim", SIM_URL: sim.urls.binanceRest,
        PRODUCTS: "BTC,ETH,SOL", SHARDS: "2", POLLER: "true", COINGECKO_PER_PAGE: "20", LOG_LEVEL: "warning",
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      await waitFor("ready", () => out.includes("ready") || undefined, 30_000);
      await waitFor("ticks in JetStream", async () => (await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", "SOL-USD"))).length > 3 || undefined);
      await waitFor("two shard leases", async () => {
        const keys: string[] = [];
        for await (const k of await bus.kv[BUCKET.shards]!.keys()) keys.push(k);
        return keys.length === 2 || undefined;
      });
      expect((sim.stats().connections as number) > 0).toBe(true);
      const t0 = Date.now();
      child.kill("SIGTERM");
      const code = await exited;
      expect(code, out).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(out).toContain("stopped");
      await waitFor("the simulator to see every connection closed", () => sim.stats().connections === 0 || undefined, 3000);
      const keys: string[] = [];
      for await (const k of await bus.kv[BUCKET.shards]!.keys()) keys.push(k);
      expect(keys).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("refuses a bad configuration before connecting, naming the variable", async () => {
    const child = spawnTsx("actors/ingest/run.ts", { env: { NATS_URL: bus.ns.url, PRODUCTS_PER_CONNECTION: "0" } });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain("PRODUCTS_PER_CONNECTION");
  });
});
