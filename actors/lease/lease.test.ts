import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV } from "@nats-io/kv";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { LeaderLease, Membership, rendezvousOwner } from "./mod.ts";

const keys = Array.from({ length: 500 }, (_, i) => `SYM${i}-USD`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("rendezvousOwner()", () => {
  it("spreads keys evenly and moves only the keys the new member wins", () => {
    const three = ["a", "b", "c"];
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(rendezvousOwner(k, three)!, (counts.get(rendezvousOwner(k, three)!) ?? 0) + 1);
    for (const m of three) expect(counts.get(m)!).toBeGreaterThan(120);
    const four = [...three, "d"];
    for (const k of keys) {
      const before = rendezvousOwner(k, three);
      const after = rendezvousOwner(k, four);
      if (after !== "d") expect(after).toBe(before);
    }
    expect(rendezvousOwner("x", [])).toBeUndefined();
  });
});

describe("Membership and LeaderLease on a real nats-server", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let kv: KV;
  const leaseMs = 1000;
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    kv = await new Kvm(nc).create("test_leases", { ttl: leaseMs, history: 1 });
  });
  afterAll(async () => {
    await nc?.close();
    await ns?.cleanup();
  });

  it("two members split the keys with no overlap, and a third joins without double ownership", async () => {
    const a = new Membership({ kv, memberId: "a", leaseMs, pollMs: 100 });
    const b = new Membership({ kv, memberId: "b", leaseMs, pollMs: 100 });
    await a.start();
    await b.start();
    await wait(500);
    const ownedA = new Set(a.owned(keys));
    const ownedB = new Set(b.owned(keys));
    expect(ownedA.size + ownedB.size).toBe(keys.length);
    for (const k of ownedA) expect(ownedB.has(k)).toBe(false);

    const c = new Membership({ kv, memberId: "c", leaseMs, pollMs: 100 });
    await c.start();
    // Sample ownership while c joins: no key may ever have two owners.
    for (let i = 0; i < 15; i++) {
      const sets = [a, b, c].map((m) => new Set(m.owned(keys)));
      for (const k of keys) expect(sets.filter((s) => s.has(k)).length).toBeLessThanOrEqual(1);
      await wait(40);
    }
    const total = [a, b, c].reduce((n, m) => n + m.owned(keys).length, 0);
    expect(total).toBe(keys.length);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  });

  it("a member that stops renewing loses its keys to the others within one lease", async () => {
    const a = new Membership({ kv, memberId: "a2", leaseMs, pollMs: 100 });
    const b = new Membership({ kv, memberId: "b2", leaseMs, pollMs: 100 });
    await a.start();
    await b.start();
    await wait(400);
    // Simulate a crash of b: stop its loops without deleting its key.
    (b as unknown as { stopped: AbortController }).stopped.abort();
    const t0 = Date.now();
    while (a.owned(keys).length < keys.length && Date.now() - t0 < 5000) await wait(20);
    const took = Date.now() - t0;
    expect(a.owned(keys).length).toBe(keys.length);
    expect(took).toBeLessThan(leaseMs + 400);
    await a.stop();
  });

  it("a member restarted after a crash takes over the key its previous run left, without waiting for it to expire", async () => {
    const before = new Membership({ kv, memberId: "r1", leaseMs, pollMs: 100 });
    await before.start();
    await wait(300);
    (before as unknown as { stopped: AbortController }).stopped.abort(); // kill -9: the key stays
    const t0 = Date.now();
    const after = new Membership({ kv, memberId: "r1", leaseMs, pollMs: 100 });
    await after.start(); // a create of an existing key fails: this is the takeover
    const took = Date.now() - t0;
    expect(after.view()).toMatchObject({ held: true, settled: true });
    expect(took).toBeLessThan(leaseMs - 200); // well before the old key could expire
    expect((await kv.get("r1"))?.json<{ holder: string }>().holder).toBe("r1");
    await after.stop();
  });

  it("a second live member with the same id does not take over a key that is still renewed", async () => {
    const live = new Membership({ kv, memberId: "r2", leaseMs, pollMs: 100 });
    await live.start();
    await expect(new Membership({ kv, memberId: "r2", leaseMs, pollMs: 100 }).start()).rejects.toThrow(/wrong last sequence/i);
    expect(live.view().held).toBe(true);
    await live.stop();
  });

  it("LeaderLease elects one leader and fails over when it resigns", async () => {
    const elected: string[] = [];
    const l1 = new LeaderLease({ kv, name: "ranker", holderId: "h1", leaseMs, onElected: () => elected.push("h1") });
    const l2 = new LeaderLease({ kv, name: "ranker", holderId: "h2", leaseMs, onElected: () => elected.push("h2") });
    await l1.start();
    await l2.start();
    expect(l1.isLeader()).toBe(true);
    expect(l2.isLeader()).toBe(false);
    await l1.stop();
    const t0 = Date.now();
    while (!l2.isLeader() && Date.now() - t0 < 3000) await wait(20);
    expect(l2.isLeader()).toBe(true);
    expect(elected).toEqual(["h1", "h2"]);
    await l2.stop();
  });
});
