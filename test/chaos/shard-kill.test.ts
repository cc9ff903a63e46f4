/**
 * Chaos: two actor hosts run connection shards (pooled kind "shard", `ops scale shards 2`,
 * one slot on each) fed by the exchange simulator; one host is killed with -9. Its
 * products must be owned again within two lease periods, measured from the kill, and
 * ticks must resume for every product on md.tick.> with no tick stored twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { ticksInStream } from "../../actors/archiver/testing.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { type Proc, Procs, report, secs, sleep, waitUntil } from "./procs.ts";
import { hostIdsSpreading, ownershipOfHosts, shardHostEnv } from "./shards.ts";

const LEASE_MS = 2000;
const BASES = 8; // × 2 venues = 16 products

const procs = new Procs();
let ns: NatsServerHandle;
let sim: SimulatorHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let hostIds: string[];
let hosts: Proc[];
let products: string[];

beforeAll(async () => {
  [ns, sim] = await Promise.all([startNatsServer(), startSimulator({ port: 0, seed: 11, symbols: 40, tickRate: 400 })]);
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  js = jetstream(nc);
  products = sim.universe.products.slice(0, BASES).map((p) => p.cbId);
  hostIds = hostIdsSpreading("chaos-shard", 2, 2);
  const simUrl = sim.urls.control.replace(/\/_sim$/, "");
  hosts = hostIds.map((id) => procs.spawnTs(id, "actors/main.ts", shardHostEnv({ natsUrl: ns.url, hostId: id, simUrl, products, leaseMs: LEASE_MS })));
  await Promise.all(hosts.map((h) => h.waitFor("ready with actors", 60_000)));
  // The operator's way: `tickflow scale shards 2` waits until both slots run.
  const scale = procs.spawnTs("ops-scale", "ops/main.ts", { NATS_URL: ns.url, LEASE_MS: String(LEASE_MS) }, ["scale", "shards", "2", "--timeout", "40"]);
  const exit = await scale.exited;
  if (exit.code !== 0) throw new Error(`ops scale failed (${JSON.stringify(exit)}):\n${scale.tail()}`);
}, 90_000);

afterAll(async () => {
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await sim?.close();
  await ns?.cleanup();
});

describe("chaos: a shard host is killed with -9", () => {
  it("its products are owned again within two lease periods and ticks resume for every product without a tick stored twice", async () => {
    const total = products.length * 2;
    // Ticks per subject, as they arrive.
    const lastArrival = new Map<string, number>();
    const resumed = new Map<string, number>();
    let goneAt = Number.POSITIVE_INFINITY;
    nc.subscribe(subjects.allTicks, {
      callback: (_e, m) => {
        const now = Date.now();
        lastArrival.set(m.subject, now);
        if (now > goneAt + 250 && !resumed.has(m.subject)) resumed.set(m.subject, now);
      },
    });
    const before = await waitUntil("every product owned, by both hosts, and ticking", async () => {
      const o = await ownershipOfHosts(nc, hostIds);
      const ok = o.total === total && hostIds.every((h) => (o.byHost.get(h) ?? 0) > 0) && lastArrival.size === total;
      return ok ? o : undefined;
    }, 40_000, 100);

    // The victim: the host owning more products.
    const [victimId, survivorId] = (before.byHost.get(hostIds[0]!)! >= before.byHost.get(hostIds[1]!)! ? [0, 1] : [1, 0]).map((i) => hostIds[i]!);
    const victim = hosts[hostIds.indexOf(victimId!)]!;
    const moved = before.byHost.get(victimId!)!;
    const killedAt = Date.now();
    await victim.kill9();
    goneAt = Date.now();

    // Poll the survivor's status until it owns everything; keep watching for a dip while its new slot joins.
    let reownedAt = 0;
    let dipMs = 0;
    let dipSince = 0;
    let slotMovedAt = 0;
    await waitUntil("the survivor running both slots and owning every product", async () => {
      const o = await ownershipOfHosts(nc, [survivorId!], 300);
      const now = Date.now();
      if (o.total === total) {
        reownedAt ||= now;
        if (dipSince) dipMs = Math.max(dipMs, now - dipSince);
        dipSince = 0;
      } else if (reownedAt && !dipSince) dipSince = now;
      if ((o.slots.get(survivorId!) ?? []).length === 2) slotMovedAt ||= now;
      return slotMovedAt > 0 && o.total === total && now - slotMovedAt > 2 * LEASE_MS ? true : undefined;
    }, 40_000, 50);
    await waitUntil("ticks from every product after the kill", () => resumed.size === total, 30_000, 50);
    const resumeTimes = [...resumed.values()].map((t) => t - killedAt).sort((x, y) => x - y);
    const resumedAt = killedAt + resumeTimes.at(-1)!;
    const slowest = [...resumed].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([subj, t]) => `${subj.slice(8)} ${secs(t - killedAt)}`).join(", ");

    // Nothing stored twice (the new owner starts after the last stored tick; msgIDs de-duplicate).
    await sleep(500);
    const stored = await ticksInStream(js);
    const duplicates = stored.length - new Set(stored).size;

    expect(reownedAt - killedAt).toBeLessThanOrEqual(2 * LEASE_MS);
    expect(duplicates).toBe(0);
    expect(hosts[hostIds.indexOf(survivorId!)]!.running).toBe(true);

    // And what the operator sees: `tickflow status --json` lists one host running both slots.
    const cli = procs.spawnTs("ops-status", "ops/main.ts", { NATS_URL: ns.url }, ["status", "--json", "--timeout", "1500"]);
    expect((await cli.exited).code).toBe(0);
    const json = JSON.parse(cli.output().slice(cli.output().indexOf("["))) as Array<{ host: string; actors: Array<{ path: string; extra?: { owned?: number } }> }>;
    expect(json.map((h) => h.host)).toEqual([survivorId]);
    const owned = json[0]!.actors.filter((a) => a.path.startsWith("root/placed/shard-")).reduce((s, a) => s + Number(a.extra?.owned ?? 0), 0);
    expect(owned).toBe(total);

    report(
      `shard host kill -9 (${moved}/${total} products, lease ${secs(LEASE_MS)}) → re-owned in ${secs(reownedAt - killedAt)} (bound ${secs(2 * LEASE_MS)}), ` +
        `slot moved to the survivor in ${secs(slotMovedAt - killedAt)} (hand-over dip ${secs(dipMs)}), ticks resumed for all ${total} products in ${secs(resumedAt - killedAt)} (median ${secs(resumeTimes[total >> 1]!)}; slowest ${slowest}), ` +
        `ticks stored ${stored.length}, duplicates ${duplicates}`,
    );
  }, 90_000);
});
