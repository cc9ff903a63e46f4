import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { ensureStreams, STREAM } from "../../lib/platform/streams.ts";
import { systemClock } from "../runtime/mod.ts";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { consumerLag, LagProbe } from "./lag.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  jsm = await jetstreamManager(nc);
  js = jetstream(nc);
  await ensureStreams(jsm);
  await jsm.consumers.add(STREAM.md, { durable_name: "lag-ticks", filter_subject: "md.tick.>", ack_policy: AckPolicy.Explicit });
});

afterAll(async () => {
  await nc?.close();
  await ns?.cleanup();
});

describe("archiver lag", () => {
  it("is zero messages and zero seconds for a consumer that is caught up", async () => {
    expect(await consumerLag(jsm, STREAM.md, "lag-ticks", Date.now())).toEqual({ consumer: "lag-ticks", messages: 0, oldestSec: 0 });
  });

  it("counts undelivered and unacked messages and the age of the oldest, until they are acked", async () => {
    for (let i = 0; i < 5; i++) await js.publish("md.tick.sim.A-USD", new TextEncoder().encode(`{"i":${i}}`));
    await new Promise((r) => setTimeout(r, 1200));
    const c = await js.consumers.get(STREAM.md, "lag-ticks");
    const got = await c.fetch({ max_messages: 2, expires: 1000 });
    const held = [];
    for await (const m of got) held.push(m);
    expect(held).toHaveLength(2);
    const lag = await consumerLag(jsm, STREAM.md, "lag-ticks", Date.now());
    expect(lag.messages).toBe(5); // 3 pending delivery + 2 delivered, unacked
    expect(lag.oldestSec).toBeGreaterThanOrEqual(1.1);
    expect(lag.oldestSec).toBeLessThan(30);

    const probe = new LagProbe(jsm, STREAM.md, ["lag-ticks"], systemClock, 60_000);
    expect((await probe.poll())?.messages).toBe(5);
    probe.stop();

    for (const m of held) m.ack();
    const rest = await c.fetch({ max_messages: 3, expires: 1000 });
    for await (const m of rest) await m.ackAck();
    await nc.flush();
    expect(await consumerLag(jsm, STREAM.md, "lag-ticks", Date.now())).toMatchObject({ messages: 0, oldestSec: 0 });
  });
});
