/**
 * The chaos clients' loss and duplicate checks can fail: a small WebSocket proxy between
 * a client and a real edge injects a duplicate, a hole and a trailing loss into a stream
 * room, and RecoveringClient.audit() must see each of them, counted raw (before the
 * client's own de-duplication) against the producer's last published seq. A client
 * straight on the edge is the control: nothing lost, nothing repeated.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import type { AddressInfo } from "node:net";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { rooms } from "../../lib/contracts/subjects.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { publishRoom } from "../../edge/testing.ts";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { RecoveringClient } from "./clients.ts";
import { sleep, waitUntil } from "./procs.ts";

const ROOM = rooms.alerts;
const PUBLISHED = 10;
const INTERVAL_MS = 100;

/** Forwards frames between a client and `upstream`, passing server frames through `edit` (returns the frames to send). */
function proxy(upstream: string, edit: (frame: string) => string[]): Promise<{ url: string; close(): void }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  wss.on("connection", (client) => {
    const up = new WebSocket(upstream, { perMessageDeflate: false });
    const queued: string[] = [];
    up.on("open", () => { for (const m of queued.splice(0)) up.send(m); });
    client.on("message", (d) => (up.readyState === WebSocket.OPEN ? up.send(d.toString()) : queued.push(d.toString())));
    up.on("message", (d) => { for (const f of edit(d.toString())) client.send(f); });
    up.on("close", () => client.close());
    client.on("close", () => up.close());
  });
  return new Promise((resolve) => wss.on("listening", () => resolve({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    close: () => { for (const c of wss.clients) c.terminate(); wss.close(); },
  })));
}

const seqOf = (frame: string) => Number(/"seq":(\d+)/.exec(frame)?.[1] ?? -1);
const isRoomUpdate = (frame: string) => frame.includes('"type":"update"') && frame.includes(`"room":"${ROOM}"`);

let ns: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let edge: EdgeHandle;
let faulty: { url: string; close(): void };
const clients: RecoveringClient[] = [];

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  js = jetstream(nc);
  await ensureStreams(await jetstreamManager(nc));
  edge = await startEdge({ env: { NATS_URL: ns.url, EDGE_PORT: "0", EDGE_HOST: "127.0.0.1", EDGE_TRANSPORT: "ws", UI_DIST: "/nonexistent" } });
  faulty = await proxy(`ws://127.0.0.1:${edge.port}/ws`, (f) => {
    if (!isRoomUpdate(f)) return [f];
    const seq = seqOf(f);
    if (seq === 3) return [f, f]; // a duplicate
    if (seq === 5) return []; // a hole, every time (replays of it too)
    if (seq > 8) return []; // trailing loss: the last two never arrive
    return [f];
  });
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.close();
  faulty?.close();
  await edge?.stop(0);
  await nc?.close();
  await ns?.cleanup();
});

describe("RecoveringClient.audit()", () => {
  it("sees a duplicate, a hole and a trailing loss injected by a proxy, and a control client sees none", async () => {
    const direct = new RecoveringClient([`ws://127.0.0.1:${edge.port}/ws`], [ROOM]);
    const broken = new RecoveringClient([faulty.url], [ROOM]);
    clients.push(direct, broken);
    await waitUntil("both clients connected", () => direct.connections > 0 && broken.connections > 0, 10_000);
    await sleep(200);
    for (let seq = 1; seq <= PUBLISHED; seq++) {
      await publishRoom(js, ROOM, seq, { id: `a${seq}`, symbol: "X-USD", pct: 12, ts: Date.now() });
      await sleep(INTERVAL_MS);
    }
    await waitUntil("the control client at the last seq", () => direct.last(ROOM) === PUBLISHED, 10_000);
    await sleep(500);
    const producerLast = { [ROOM]: PUBLISHED };

    expect(direct.audit(producerLast, 60_000)).toEqual({
      expected: 10, received: 10, duplicates: 0, holes: 0, trailing: 0, lost: 0, unexpectedCloses: 0, silentRooms: [],
    });
    const a = broken.audit(producerLast, INTERVAL_MS);
    expect(a.duplicates).toBe(1);
    expect(a.holes).toBe(1);
    expect(a.trailing).toBe(2);
    expect(a.lost).toBe(3);
    expect(a.received).toBe(7);
    expect(a.silentRooms).toEqual([ROOM]);
  }, 60_000);

  it("counts a socket the server closed as an unexpected close", async () => {
    const c = new RecoveringClient([`ws://127.0.0.1:${edge.port}/ws`], [ROOM], 60_000);
    clients.push(c);
    await waitUntil("connected", () => c.connections > 0, 10_000);
    await edge.stop(0); // the server closes every socket (1001 going away)
    await waitUntil("the close seen", () => c.closes.length > 0, 10_000);
    expect(c.audit({ [ROOM]: PUBLISHED }, 60_000).unexpectedCloses).toBe(1);
  }, 30_000);
});
