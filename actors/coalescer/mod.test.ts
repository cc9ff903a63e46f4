import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { BUCKET, ensureBuckets, ensureStreams, STREAM } from "../../lib/platform/streams.ts";
import { rooms } from "../../lib/contracts/subjects.ts";
import { ActorCell, systemClock } from "../runtime/mod.ts";
import type { HostContext } from "../host-context.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { isConfigError } from "../../lib/platform/config.ts";
import { rankerChild } from "../ranker/mod.ts";
import { coalescerChild } from "./mod.ts";
import { publishTicks, recordRooms, waitFor } from "./testing.ts";

describe("coalescer and ranker as supervised actors", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let host: HostContext;

  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    const kv = await ensureBuckets(nc, { leaseMs: 2000, replicas: 1 });
    host = {
      hostId: "host-test",
      nc,
      js: jetstream(nc),
      jsm,
      kv,
      clock: systemClock,
      metrics: new Metrics(),
      env: { COALESCE_INTERVAL: "50ms", RANKER_POLL_INTERVAL: "50ms", MOVERS_MIN_INTERVAL: "100ms" },
      leaseMs: 2000,
    };
  });
  afterAll(async () => {
    await nc?.close();
    await ns?.cleanup();
  });

  it("coalescerChild() and rankerChild() name the bad variable when a setting is invalid", () => {
    const bad = { ...host, env: { COALESCE_INTERVAL: "soon", ALERT_THRESHOLD_PCT: "-1" } };
    let err: unknown;
    try {
      coalescerChild(bad);
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err)).toBe(true);
    expect((err as Error).message).toContain("COALESCE_INTERVAL");
    expect(() => rankerChild(bad)).toThrow(/ALERT_THRESHOLD_PCT/);
  });

  it("run under the actor runtime: ticks in, rooms out, and a stop releases leases and the consumer", async () => {
    const cells = [coalescerChild(host), rankerChild(host)].map((spec) => new ActorCell({ id: spec.id, factory: spec.actor! as () => never }));
    const rec = recordRooms(nc);
    for (const c of cells) await c.start();
    await waitFor(async () => {
      const st = cells[0]!.describe("root/coalescer", 0)[0]!.extra as { partitions: number[] };
      return st.partitions.length === 16;
    }, "coalescer owns all partitions");
    await waitFor(() => (cells[1]!.describe("root/ranker", 0)[0]!.extra as { live?: boolean }).live === true, "ranker leads");
    await waitFor(async () => {
      await publishTicks(host.js, [{ symbol: "BTC-USD", price: 110, open24h: 100, volume24h: 5 }]);
      return rec.of(rooms.ticker("BTC-USD")).length > 0 && rec.of(rooms.movers).length > 0;
    }, "ticker and movers rooms");
    expect(host.metrics.render()).toContain("tickflow_coalescer_ticks_total");

    for (const c of [...cells].reverse()) await c.stop();
    rec.stop();
    const consumers: string[] = [];
    for await (const ci of host.jsm.consumers.list(STREAM.md)) consumers.push(ci.name);
    expect(consumers.filter((n) => n.startsWith("coalescer_"))).toEqual([]);
    const leases: string[] = [];
    for await (const k of await host.kv[BUCKET.coalescers]!.keys()) leases.push(k);
    expect(leases).toEqual([]);
    const leader = await host.kv[BUCKET.leaders]!.get("ranker");
    expect(leader === null || leader.operation !== "PUT").toBe(true); // deleted: resigned, not left to expire
  });
});
