/**
 * Horizontal scale and NATS outages: several stateless edges on one NATS, clients
 * moving between them, readiness following the NATS connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { ensureStreams } from "../lib/platform/streams.ts";
import { startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { CloseCode } from "../lib/contracts/protocol.ts";
import { type EdgeHandle, startEdge } from "./server.ts";
import { publishRoom, sleep, TestClient, waitUntil } from "./testing.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
const edges: EdgeHandle[] = [];
const clients: TestClient[] = [];

const startOne = async (id: string) => {
  const e = await startEdge({
    env: { NATS_URL: ns.url, EDGE_PORT: "0", EDGE_HOST: "127.0.0.1", EDGE_ID: id, UI_DIST: "/nonexistent" },
  });
  edges.push(e);
  return e;
};
const wsUrl = (e: EdgeHandle) => `ws://127.0.0.1:${e.port}/ws`;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  js = jetstream(nc);
  await ensureStreams(await jetstreamManager(nc));
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const e of edges) await e.stop(200);
  await nc?.close();
  await ns?.cleanup();
});

describe("several edges side by side", () => {
  it("deliver every room message to clients on both, and a client moving from a stopped edge recovers on the other", async () => {
    const [a, b] = [await startOne("edge-a"), await startOne("edge-b")];
    const ticker = "ticker.SCALE-USD";
    const candles = "candles.SCALE-USD.1m";
    const onA = await Promise.all([0, 1, 2].map(() => TestClient.connect(wsUrl(a))));
    const onB = await Promise.all([0, 1, 2].map(() => TestClient.connect(wsUrl(b))));
    clients.push(...onA, ...onB);
    for (const c of [...onA, ...onB]) c.send({ op: "subscribe", rooms: [ticker, candles] });
    await sleep(100);
    for (let s = 1; s <= 20; s++) {
      await publishRoom(js, ticker, s, { price: s });
      await publishRoom(js, candles, s, { close: s });
    }
    for (const c of [...onA, ...onB]) {
      await c.waitFor((f) => f.room === candles && f.seq === 20);
      await c.waitFor((f) => f.room === ticker && f.seq === 20);
      expect(c.room(ticker).map((f) => f.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(c.room(candles).map((f) => f.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }

    // Edge A goes away: its clients get 1001 and reconnect to B with `since`.
    await a.stop(1000);
    for (const c of onA) expect((await c.waitClose()).code).toBe(CloseCode.GoingAway);
    for (let s = 21; s <= 25; s++) await publishRoom(js, candles, s, { close: s });
    await waitUntil(() => b.hub.rooms.byTopicName(`room.${candles}`)?.seq === 25, "edge B at seq 25");
    const moved = await Promise.all(onA.map(async (old) => {
      const c = await TestClient.connect(wsUrl(b));
      clients.push(c);
      const lastCandle = old.room(candles).at(-1)!.seq!;
      c.send({ op: "subscribe", rooms: [ticker, candles], since: { [candles]: lastCandle } });
      return c;
    }));
    await publishRoom(js, candles, 26, { close: 26 });
    for (const c of moved) {
      await c.waitFor((f) => f.room === candles && f.seq === 26);
      expect(c.room(candles).map((f) => `${f.type}:${f.seq}`)).toEqual(
        [21, 22, 23, 24, 25, 26].map((s) => `update:${s}`),
      );
      expect(c.room(ticker)[0]).toMatchObject({ type: "snapshot", seq: 20 });
    }
  });

  it("a fresh edge loads the latest message of every room from JetStream and serves it as a snapshot", async () => {
    await publishRoom(js, "movers", 41, { gainers: [], losers: [], asOf: 1 });
    await publishRoom(js, "alerts", 7, { id: "a7" });
    const e = await startOne("edge-fresh");
    const c = await TestClient.connect(wsUrl(e));
    clients.push(c);
    c.send({ op: "subscribe", rooms: ["movers", "alerts"] });
    expect(await c.waitFor((f) => f.room === "movers")).toMatchObject({ type: "snapshot", seq: 41 });
    expect(await c.waitFor((f) => f.room === "alerts")).toMatchObject({ type: "snapshot", seq: 7, data: { id: "a7" } });
  });

  it("report 503 on /healthz while NATS is down and 200 again once it is back", async () => {
    const e = await startOne("edge-health");
    const health = async () => (await fetch(`http://127.0.0.1:${e.port}/healthz`)).status;
    expect(await health()).toBe(200);
    await ns.stop();
    await waitUntil(async () => (await health()) === 503, "503 while NATS is down", 10_000);
    await ns.restart();
    await waitUntil(async () => (await health()) === 200, "200 after NATS is back", 15_000);
    // And rooms flow again after the reconnect.
    const c = await TestClient.connect(wsUrl(e));
    clients.push(c);
    c.send({ op: "subscribe", rooms: ["ticker.BACK-USD"] });
    await sleep(100);
    await waitUntil(() => !nc.isClosed(), "test connection back");
    await publishRoom(js, "ticker.BACK-USD", 1, { price: 1 });
    await c.waitFor((f) => f.room === "ticker.BACK-USD" && f.seq === 1);
  });
});
