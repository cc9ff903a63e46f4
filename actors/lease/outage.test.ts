import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV } from "@nats-io/kv";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { Membership } from "./mod.ts";

const LEASE = 6000;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a lease through a NATS outage", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let kv: KV;
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    kv = await new Kvm(nc).create("outage_leases", { ttl: LEASE, history: 1 });
  });
  afterAll(async () => {
    await nc?.close().catch(() => {});
    await ns?.cleanup();
  });

  it("is kept through renewal errors while it is still valid (NATS down 1.5 s of a 6 s lease)", async () => {
    const lost: number[] = [];
    const m = new Membership({ kv, memberId: "keep", leaseMs: LEASE, pollMs: 200, keepThroughErrors: true, onLost: () => lost.push(Date.now()) });
    await m.start();
    await wait(1600); // just after a renewal (every 1.5 s)
    await ns.kill();
    await wait(1500);
    await ns.restart();
    await wait(LEASE);
    expect(lost).toEqual([]);
    expect(m.view().held).toBe(true);
    await m.stop();
  }, 30_000);

  it("is given up before it could expire when NATS stays away", async () => {
    let lostAt = 0;
    const m = new Membership({ kv, memberId: "gone", leaseMs: LEASE, pollMs: 200, keepThroughErrors: true, onLost: () => (lostAt = Date.now()) });
    await m.start();
    const renewedBy = Date.now(); // the lease runs from no earlier than the last renewal, which is before now
    await ns.kill();
    await wait(LEASE + 500);
    expect(lostAt).toBeGreaterThan(0);
    expect(lostAt).toBeLessThan(renewedBy + LEASE);
    expect(m.view().held).toBe(false);
    await ns.restart();
    await m.stop();
  }, 30_000);
});
