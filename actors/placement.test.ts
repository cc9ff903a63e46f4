import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { startHost, type Host } from "./host.ts";
import { slotsFor, type PoolKind } from "./placement.ts";
import { BUCKET } from "../lib/platform/streams.ts";

const echoPool: PoolKind = { kind: "echo", defaultCount: 2, instance: (_h, slot) => ({ id: slot, actor: () => ({}) }) };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function placedSlots(hosts: Host[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const h of hosts) {
    const slots = h.status().actors.filter((a) => a.path.startsWith("root/placed/") && a.state === "running").map((a) => a.id);
    for (const s of slots) out.set(s, [...(out.get(s) ?? []), h.id]);
  }
  return out;
}

/** Wait until `count` slots run, each on one host, spread over exactly `hostCount` hosts. */
async function settle(hosts: Host[], count: number, hostCount = hosts.length, timeoutMs = 15_000): Promise<Map<string, string[]>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = placedSlots(hosts);
    const used = new Set([...m.values()].flat());
    if (m.size === count && [...m.values()].every((h) => h.length === 1) && used.size === hostCount) return m;
    if (Date.now() > deadline) throw new Error(`placement did not settle: ${JSON.stringify([...m])}`);
    await wait(50);
  }
}

describe("slotsFor()", () => {
  it("gives every slot to exactly one host", () => {
    const hosts = ["a", "b", "c"];
    const all = hosts.flatMap((h) => slotsFor("shard", 10, hosts, h));
    expect(all.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `shard-${i}`).sort());
    expect(slotsFor("shard", 3, [], "a")).toEqual([]);
  });
});

describe("placement across hosts on a real nats-server", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  const hosts: Host[] = [];
  const env = (id: string) => ({ NATS_URL: "", HOST_ID: id, LEASE_MS: "1000", ACTORS: "stream-stats" });
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
  });
  afterAll(async () => {
    for (const h of hosts) await h.stop();
    await nc?.close();
    await ns?.cleanup();
  });

  it("spreads the desired instances over the hosts, rebalances on join and scale, and moves a stopped host's slots", async () => {
    const start = async (id: string) => {
      const h = await startHost({ env: { ...env(id), NATS_URL: ns.url }, extraPools: [echoPool], onGiveUp: () => {} });
      hosts.push(h);
      return h;
    };
    await start("h1");
    let m = await settle(hosts, 2);
    expect([...m.values()].flat()).toEqual(["h1", "h1"]);

    await start("h2");
    // scale to 6 through the desired-state bucket, as `ops scale echo 6` does
    const kv = await new Kvm(nc).open(BUCKET.desired);
    await kv.put("echo", JSON.stringify({ v: 1, count: 6, ts: Date.now() }));
    m = await settle(hosts, 6);
    const perHost = new Set([...m.values()].flat());
    expect(perHost).toEqual(new Set(["h1", "h2"]));

    // h1 leaves: all six slots end up on h2
    const h1 = hosts.shift()!;
    await h1.stop();
    m = await settle(hosts, 6);
    expect(new Set([...m.values()].flat())).toEqual(new Set(["h2"]));
  });
});
