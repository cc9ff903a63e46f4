/**
 * The protocol suite, run once per transport (uWS native and ws) against a real
 * nats-server with real WebSocket clients. Room messages are published through
 * JetStream so they land in ROOMS/ROOMLOG as a producer's would.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { ensureStreams } from "../lib/platform/streams.ts";
import { startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { CloseCode } from "../lib/contracts/protocol.ts";
import { type EdgeHandle, startEdge } from "./server.ts";
import { loadUws } from "./transport/uws-load.ts";
import { publishRoom, publishRoomCore, sleep, TestClient, upgrade, waitUntil } from "./testing.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
const uiDir = mkdtempSync(join(tmpdir(), "tf-ui-"));
const APP_JS = "console.log('dashboard');".repeat(20);

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  js = jetstream(nc);
  await ensureStreams(await jetstreamManager(nc));
  mkdirSync(join(uiDir, "assets"));
  writeFileSync(join(uiDir, "index.html"), "<!doctype html><title>Tickflow</title>");
  writeFileSync(join(uiDir, "assets", "app-Ab12Cd34.js"), APP_JS);
  writeFileSync(join(uiDir, "assets", "app-Ab12Cd34.js.br"), brotliCompressSync(APP_JS));
  writeFileSync(join(uiDir, "assets", "app-Ab12Cd34.js.gz"), gzipSync(APP_JS));
});

afterAll(async () => {
  await nc?.close();
  await ns?.cleanup();
  rmSync(uiDir, { recursive: true, force: true });
});

const REPLAY_WINDOW_MS = 3000;

describe.each(["uws", "ws"] as const)("edge over %s", (transport) => {
  let edge: EdgeHandle;
  let url: string;
  const clients: TestClient[] = [];
  const P = transport.toUpperCase(); // room names differ per transport: both suites share one NATS
  const client = async (opts = {}) => {
    const c = await TestClient.connect(url, opts);
    clients.push(c);
    return c;
  };
  /** Wait until the edge has seen `seq` of `room` (the live subscription is asynchronous). */
  const edgeHas = (room: string, seq: number) =>
    waitUntil(() => (edge.hub.rooms.byTopicName(`room.${room}`)?.seq ?? -1) >= seq, `${room}#${seq} at the edge`);

  beforeAll(async () => {
    edge = await startEdge({
      env: {
        NATS_URL: ns.url,
        EDGE_PORT: "0",
        EDGE_HOST: "127.0.0.1",
        EDGE_ID: `edge-${transport}`,
        EDGE_TRANSPORT: transport,
        UI_DIST: uiDir,
        EDGE_REPLAY_WINDOW: String(REPLAY_WINDOW_MS),
        EDGE_MSG_RATE: "50",
        EDGE_MSG_BURST: "100",
        EDGE_MAX_STRIKES: "10",
        EDGE_MAX_BACKPRESSURE: "16384",
        EDGE_SLOW_CLOSE: "1s",
        EDGE_MAX_CONNS_PER_IP: "40",
        EDGE_LATENCY_SAMPLE: "1",
      },
    });
    url = `ws://127.0.0.1:${edge.port}/ws`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await waitUntil(() => edge.hub.sessions.size === 0, "all clients gone");
  });
  afterAll(async () => {
    await edge?.stop(500);
  });

  it("greets a client with hello carrying the server id and limits", async () => {
    const c = await client();
    expect(c.frames[0]).toMatchObject({
      type: "hello",
      server: `edge-${transport}`,
      limits: { maxFrameBytes: 4096, maxRooms: 64, replayWindowMs: REPLAY_WINDOW_MS },
    });
  });

  it("sends the snapshot at once on subscribe, then updates in seq order, and nothing after unsubscribe", async () => {
    const room = `ticker.${P}1-USD`;
    for (const s of [1, 2, 3]) await publishRoom(js, room, s, { price: s });
    await edgeHas(room, 3);
    const c = await client();
    c.send({ op: "subscribe", rooms: [room] });
    await c.waitFor((f) => f.type === "snapshot" && f.room === room);
    for (const s of [4, 5, 6]) await publishRoom(js, room, s, { price: s });
    await c.waitFor((f) => f.room === room && f.seq === 6);
    expect(c.room(room).map((f) => `${f.type}:${f.seq}`)).toEqual(["snapshot:3", "update:4", "update:5", "update:6"]);
    expect(c.room(room)[0]!.data).toEqual({ price: 3 });

    c.send({ op: "unsubscribe", rooms: [room] });
    const sentinel = `ticker.${P}2-USD`;
    c.send({ op: "subscribe", rooms: [sentinel] });
    await sleep(100);
    await publishRoom(js, room, 7, { price: 7 });
    await publishRoom(js, sentinel, 1, {});
    await c.waitFor((f) => f.room === sentinel && f.seq === 1);
    expect(c.room(room).map((f) => f.seq)).toEqual([3, 4, 5, 6]);
  });

  it("delivers a rated subscription (ticker.X@1s) as its snapshot, then the latest update at most once per second", async () => {
    const room = `ticker.${P}RATE-USD`;
    await publishRoom(js, room, 1, { price: 1 });
    await edgeHas(room, 1);
    const c = await client();
    c.send({ op: "subscribe", rooms: [`${room}@1s`] });
    await c.waitFor((f) => f.type === "snapshot" && f.room === room);
    for (let s = 2; s <= 13; s++) {
      await publishRoom(js, room, s, { price: s });
      await sleep(200);
    }
    await c.waitFor((f) => f.room === room && f.seq === 13, 5000);
    const frames = c.room(room);
    expect(frames[0]).toMatchObject({ type: "snapshot", seq: 1 });
    const updates = frames.slice(1);
    // ~2.6 s of updates every 200 ms → at most one per second (3, or 4 with the last one).
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.length).toBeLessThanOrEqual(4);
    const seqsSeen = updates.map((f) => f.seq!);
    expect(seqsSeen).toEqual([...seqsSeen].sort((a, b) => a - b));
    expect(new Set(seqsSeen).size).toBe(seqsSeen.length);
    expect(updates.at(-1)).toMatchObject({ type: "update", seq: 13, data: { price: 13 } });
  });

  it("accepts a room it has never seen and delivers it once it appears; rejects invalid names", async () => {
    const room = `ticker.${P}NEW-USD`;
    const c = await client();
    c.send({ op: "subscribe", rooms: [room] });
    await sleep(100);
    expect(c.room(room)).toEqual([]);
    await publishRoom(js, room, 1, { hello: true });
    await c.waitFor((f) => f.room === room && f.seq === 1 && f.type === "update");
    c.send({ op: "subscribe", rooms: ["no.such.kind.of.room"] });
    expect(await c.waitFor((f) => f.type === "error")).toMatchObject({ code: "unknown_room" });
    c.send({ op: "subscribe", rooms: ["bad room!"] });
    expect(await c.waitFor((f) => f.type === "error" && f.code === "bad_request")).toBeTruthy();
  });

  it("replays exactly the missed stream-room messages to a client reconnecting with since, before live ones", async () => {
    const room = `candles.${P}R1-USD.1m`;
    for (const s of [1, 2, 3]) await publishRoom(js, room, s, { close: s });
    await edgeHas(room, 3);
    const a = await client();
    a.send({ op: "subscribe", rooms: [room] });
    await a.waitFor((f) => f.room === room && f.seq === 3);
    a.close();
    for (const s of [4, 5, 6]) await publishRoom(js, room, s, { close: s });
    await edgeHas(room, 6);

    const b = await client();
    b.send({ op: "subscribe", rooms: [room], since: { [room]: 3 } });
    await publishRoom(js, room, 7, { close: 7 });
    await publishRoom(js, room, 8, { close: 8 });
    await b.waitFor((f) => f.room === room && f.seq === 8);
    await sleep(100);
    expect(b.room(room).map((f) => `${f.type}:${f.seq}`)).toEqual(["update:4", "update:5", "update:6", "update:7", "update:8"]);
    expect(b.frames.some((f) => f.type === "resync")).toBe(false);
  });

  it("sends resync then the snapshot when the gap is older than the replay window", async () => {
    const room = `candles.${P}R2-USD.1m`;
    await publishRoom(js, room, 1, { close: 1 });
    await publishRoom(js, room, 2, { close: 2 });
    await sleep(REPLAY_WINDOW_MS + 300);
    await publishRoom(js, room, 3, { close: 3 });
    await edgeHas(room, 3);
    const c = await client();
    c.send({ op: "subscribe", rooms: [room], since: { [room]: 1 } });
    await c.waitFor((f) => f.room === room && f.type === "snapshot");
    expect(c.room(room).map((f) => `${f.type}:${f.reason ?? f.seq}`)).toEqual(["resync:too_old", "snapshot:3"]);
  });

  it("answers floods of malformed, oversized, binary and rate-exceeding frames with errors then a 4002 close, leaving others untouched", async () => {
    const room = `ticker.${P}OBS-USD`;
    const observer = await client();
    observer.send({ op: "subscribe", rooms: [room] });
    await sleep(50);
    const floods: Array<[string, (c: TestClient, i: number) => void]> = [
      ["bad_json", (c, i) => c.send(`{"op":"subscribe",${i}`)],
      ["unknown_op", (c, i) => c.send({ op: "explode", i })],
      ["too_large", (c) => c.send(JSON.stringify({ op: "ping", id: "x".repeat(60), pad: "y".repeat(5000) }))],
      ["binary_not_supported", (c) => c.send(new Uint8Array([1, 2, 3, 4]))],
      ["rate_limited", (c, i) => c.send({ op: "ping", id: i })],
    ];
    const attackers = await Promise.all(floods.map(() => client()));
    floods.forEach(([, fn], k) => {
      for (let i = 0; i < 1000; i++) fn(attackers[k]!, i);
    });
    for (const [k, [code]] of floods.entries()) {
      const a = attackers[k]!;
      expect((await a.waitClose()).code, code).toBe(CloseCode.TooManyErrors);
      expect(a.frames.some((f) => f.type === "error" && f.code === code), code).toBe(true);
    }
    // A frame beyond the hard limit closes the socket at once.
    const huge = await client();
    huge.send("x".repeat(64 * 1024));
    expect((await huge.waitClose()).code).not.toBe(1000);

    await publishRoom(js, room, 1, { ok: true });
    await observer.waitFor((f) => f.room === room && f.seq === 1);
    observer.send({ op: "ping", id: "still-here" });
    await observer.waitFor((f) => f.type === "pong" && f.id === "still-here");
    expect(observer.closed).toBeUndefined();
    expect(observer.frames.some((f) => f.type === "error")).toBe(false);
  });

  it("skips and then closes (4001) a client that stops reading, while others keep receiving", async () => {
    const room = `ticker.${P}SLOW-USD`;
    const slow = await client();
    const fast = await client();
    for (const c of [slow, fast]) c.send({ op: "subscribe", rooms: [room] });
    await sleep(100);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const pad = "z".repeat(3000);
    const N = 4000;
    for (let s = 1; s <= N; s++) {
      publishRoomCore(nc, room, s, { pad });
      if (s % 500 === 0) await nc.flush();
    }
    await nc.flush();
    await fast.waitFor((f) => f.room === room && f.seq === N, 20_000);
    expect(fast.room(room).map((f) => f.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    await waitUntil(() => (edge.hub.stats.closes.get("too_slow") ?? 0) >= 1, "slow client closed", 15_000);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.waitClose(15_000);
    expect(slow.room(room).length).toBeLessThan(N);
    expect(fast.closed).toBeUndefined();
  });

  it("coalesces refresh commands: many clients asking cause one NATS request per window", async () => {
    let requests = 0;
    const sub = nc.subscribe("cmd.topcoins.refresh", {
      callback: (_e, m) => {
        requests++;
        m.respond();
      },
    });
    await nc.flush();
    const cs = await Promise.all(Array.from({ length: 12 }, () => client()));
    for (const c of cs) c.send({ op: "refresh", room: "topcoins" });
    await waitUntil(() => edge.hub.refresher.coalesced + edge.hub.refresher.sent >= 12, "all refreshes handled");
    await sleep(300);
    sub.unsubscribe();
    expect(requests).toBe(1);
  });

  it("reports build and readiness on /healthz and parseable Prometheus text on /metrics", async () => {
    const res = await fetch(`http://127.0.0.1:${edge.port}/healthz`);
    expect(res.status).toBe(200);
    const h = await res.json() as Record<string, unknown>;
    expect(h).toMatchObject({ status: "ok", nats: "connected", roomsLive: true, transport });
    // Where no native uWS loads (npm test on Node 24/26 here), "uws" is served by the ws fallback.
    expect(h.build).toBe(transport === "ws" ? "ws" : loadUws().native ? "uws-native" : "ws-fallback");

    const text = await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text();
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\n]*")*\})? -?[0-9.e+\-]+$|^-?(NaN|\+Inf)$/;
    for (const line of text.trim().split("\n")) {
      if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      expect(line).toMatch(sample);
    }
    for (const name of ["edge_connections", "edge_messages_in_total", "edge_messages_out_total", "edge_bytes_out_total", "edge_delivery_latency_ms_bucket", "edge_event_loop_lag_ms", "process_resident_memory_bytes", "edge_room_subscriptions"]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/edge_rejected_frames_total\{code="bad_json"\} [1-9]/);
  });

  it("serves the built dashboard with precompressed assets, cache and security headers", async () => {
    const base = `http://127.0.0.1:${edge.port}`;
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(await index.text()).toContain("<title>Tickflow</title>");
    const csp = index.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${edge.port} wss://127.0.0.1:${edge.port}`);
    expect(index.headers.get("x-content-type-options")).toBe("nosniff");

    const br = await fetch(`${base}/assets/app-Ab12Cd34.js`, { headers: { "accept-encoding": "br" } });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("cache-control")).toContain("immutable");
    expect(await br.text()).toBe(APP_JS);
    const gz = await fetch(`${base}/assets/app-Ab12Cd34.js`, { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    const etag = gz.headers.get("etag")!;
    expect((await fetch(`${base}/assets/app-Ab12Cd34.js`, { headers: { "if-none-match": etag } })).status).toBe(304);

    expect(await (await fetch(`${base}/markets/BTC-USD`)).text()).toContain("<title>Tickflow</title>");
    expect((await fetch(`${base}/missing.js`)).status).toBe(404);
  });

  it("refuses a foreign Origin with 403 and upgrades beyond the per-address cap with 429, before any 101", async () => {
    const foreign = await upgrade(url, { headers: { Origin: "https://evil.example" } });
    expect([foreign.status, foreign.body]).toEqual([403, "origin_not_allowed"]);
    const same = await client({ origin: `http://127.0.0.1:${edge.port}` });
    expect(same.closed).toBeUndefined();
    for (let i = 1; i < 40; i++) await client();
    const extra = await upgrade(url);
    expect([extra.status, extra.body]).toEqual([429, "too_many_connections"]);
    expect(extra.socket).toBeUndefined();
  });

  it("closes a 1 MB frame with 1009", async () => {
    const c = await client();
    c.send("x".repeat(1 << 20));
    expect((await c.waitClose()).code).toBe(1009);
  });
});
