/**
 * Chaos: the only actor host (shard + coalescer, fed by the simulator) is killed with -9
 * and started again with the same HOST_ID, as `npm start`'s supervisor does. Its old
 * host lease is still in tf_hosts until the bucket's TTL; the new run must take it over
 * (membership.ts) rather than fail to start until it expires. Asserts that every product
 * ticks and every ticker room speaks again within 30 s of the kill (issue 14's bound for
 * updates under `npm start`), and reports the time to ready, to slots placed and to ticks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { subjects } from "../../lib/contracts/subjects.ts";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { type Proc, Procs, report, secs, waitUntil } from "./procs.ts";
import { shardHostEnv } from "./shards.ts";

const LEASE_MS = 10_000; // the default, as under `npm start`
const PRODUCTS = 6;
const BOUND_MS = 30_000;

const procs = new Procs();
let ns: NatsServerHandle;
let sim: SimulatorHandle;
let nc: NatsConnection;
let env: Record<string, string>;
let products: string[];

beforeAll(async () => {
  [ns, sim] = await Promise.all([startNatsServer(), startSimulator({ port: 0, seed: 5, symbols: 40, tickRate: 300 })]);
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  products = sim.universe.products.slice(0, PRODUCTS).map((p) => p.cbId);
  const simUrl = sim.urls.control.replace(/\/_sim$/, "");
  env = shardHostEnv({ natsUrl: ns.url, hostId: "local-1", simUrl, products, leaseMs: LEASE_MS, extra: { FEED: "sim,coinbase", ACTORS: "shard,coalescer" } });
}, 60_000);

afterAll(async () => {
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await sim?.close();
  await ns?.cleanup();
});

describe("chaos: an actor host is killed with -9 and started again with the same HOST_ID", () => {
  it("takes its old lease over and has every product ticking and every ticker room speaking within 30 s", async () => {
    const ticks = new Map<string, number>();
    const roomsAt = new Map<string, number>();
    nc.subscribe(subjects.allTicks, { callback: (_e, m) => void ticks.set(m.subject.split(".")[3]!, Date.now()) });
    nc.subscribe(subjects.room("ticker.*"), { callback: (_e, m) => void roomsAt.set(m.subject.slice("room.ticker.".length), Date.now()) });
    const first: Proc = procs.spawnTs("host-1", "actors/main.ts", env);
    await first.waitFor("ready with actors", 60_000);
    await waitUntil("every product ticking into its room", () => products.every((p) => ticks.has(p) && roomsAt.has(p)), 60_000, 100);

    const killedAt = Date.now();
    await first.kill9();
    const second = procs.spawnTs("host-1-again", "actors/main.ts", env);
    await second.waitFor("ready with actors", 60_000);
    const readyAt = Date.now();
    await second.waitFor(/slot 'coalescer-0' placed/, 60_000);
    const placedAt = Date.now();
    const ticksAt = await waitUntil("every product ticking again", () => (products.every((p) => (ticks.get(p) ?? 0) > placedAt) ? Date.now() : undefined), 60_000, 50);
    const roomsBackAt = await waitUntil("every ticker room speaking again", () => (products.every((p) => (roomsAt.get(p) ?? 0) > placedAt) ? Date.now() : undefined), 60_000, 50);

    report(
      `host kill -9 and restart with the same HOST_ID (lease ${secs(LEASE_MS)}) → ready ${secs(readyAt - killedAt)}, slots placed ${secs(placedAt - killedAt)}, ` +
        `every product ticking ${secs(ticksAt - killedAt)}, every ticker room ${secs(roomsBackAt - killedAt)} after the kill (bound ${secs(BOUND_MS)}); ` +
        `took over its old lease: ${second.output().includes("taking over the key") ? "yes" : "no"}`,
    );
    expect(Math.max(ticksAt, roomsBackAt) - killedAt).toBeLessThanOrEqual(BOUND_MS);
    expect(second.running).toBe(true);
  }, 120_000);
});
