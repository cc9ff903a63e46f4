/**
 * /healthz versus /readyz against a real nats-server: the edge is healthy while NATS is
 * connected, ready only while room.ticker.all messages keep arriving within
 * EDGE_STALE_AFTER; tickflow_data_age_seconds rises while nothing comes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { ensureStreams } from "../lib/platform/streams.ts";
import { rooms } from "../lib/contracts/subjects.ts";
import { startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { checkMetrics, ensurePromtool } from "../test/promtool.ts";
import { type EdgeHandle, startEdge } from "./server.ts";
import { publishRoomCore, sleep, waitUntil } from "./testing.ts";

const STALE_MS = 600;
let ns: NatsServerHandle;
let nc: NatsConnection;
let edge: EdgeHandle;
let seq = 0;

const get = async (path: string) => {
  const r = await fetch(`http://127.0.0.1:${edge.port}${path}`);
  return { status: r.status, body: await r.json() as Record<string, unknown> };
};
const dataAge = async (): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text();
  const m = /^tickflow_data_age_seconds\{[^}]*stage="edge"[^}]*\} (\S+)$/m.exec(text);
  if (!m) throw new Error("no tickflow_data_age_seconds{stage=\"edge\"} in /metrics");
  return Number(m[1]);
};
const tick = () => publishRoomCore(nc, rooms.tickerAll, ++seq, { tickers: [] });

beforeAll(async () => {
  ensurePromtool();
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  await ensureStreams(await jetstreamManager(nc));
  edge = await startEdge({ env: { NATS_URL: ns.url, EDGE_PORT: "0", EDGE_HOST: "127.0.0.1", EDGE_TRANSPORT: "ws", EDGE_STALE_AFTER: `${STALE_MS}ms`, UI_DIST: "/nonexistent" } });
}, 600_000);

afterAll(async () => {
  await edge?.stop(0);
  await nc?.close();
  await ns?.cleanup();
});

describe("edge readiness", () => {
  it("is healthy but not ready before the first ticker.all message, and ready once one arrives", async () => {
    expect((await get("/healthz")).status).toBe(200);
    const before = await get("/readyz");
    expect(before.status).toBe(503);
    expect(before.body.reason).toBe("no ticker.all message yet");
    tick();
    await waitUntil(async () => (await get("/readyz")).status === 200, "ready after a ticker.all message");
    expect((await get("/readyz")).body).toMatchObject({ status: "ready", nats: "connected", staleAfterSec: STALE_MS / 1000 });
  });

  it("answers 503 on /readyz once data is older than EDGE_STALE_AFTER while /healthz stays 200, and recovers by itself", async () => {
    tick();
    await waitUntil(async () => (await get("/readyz")).status === 200, "ready");
    const fresh = await dataAge();
    await sleep(STALE_MS + 300);
    const stale = await get("/readyz");
    expect(stale.status).toBe(503);
    expect(String(stale.body.reason)).toMatch(/^no ticker\.all message for \d+ s$/);
    expect(stale.body.dataAgeSec as number).toBeGreaterThan(STALE_MS / 1000);
    expect((await get("/healthz")).status).toBe(200);
    expect(await dataAge()).toBeGreaterThan(fresh + 0.5);

    tick();
    await waitUntil(async () => (await get("/readyz")).status === 200, "ready again");
    expect(await dataAge()).toBeLessThan(0.5);
  });

  it("counts only ticker.all as fresh data: other rooms do not make a stale edge ready", async () => {
    await sleep(STALE_MS + 200);
    publishRoomCore(nc, rooms.movers, 1, { gainers: [], losers: [], asOf: Date.now() });
    publishRoomCore(nc, rooms.ticker("BTC-USD"), 1, { symbol: "BTC-USD" });
    await nc.flush();
    await sleep(100);
    expect((await get("/readyz")).status).toBe(503);
  });

  it("is neither healthy nor ready while NATS is down", async () => {
    tick();
    await waitUntil(async () => (await get("/readyz")).status === 200, "ready");
    await ns.stop();
    try {
      await waitUntil(async () => (await get("/healthz")).status === 503, "unhealthy without NATS");
      expect((await get("/readyz")).status).toBe(503);
      const text = await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text();
      expect(text).toMatch(/^tickflow_nats_connected 0$/m);
    } finally {
      await ns.restart();
    }
    await waitUntil(async () => (await get("/healthz")).status === 200, "healthy again", 15_000);
  });

  it("serves /metrics that promtool parses, with only the known legacy naming problems", async () => {
    const problems = await checkMetrics(await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text());
    // Names kept for dashboards and benchmarks that read them; see ops/prometheus/README.md.
    const legacy = /^edge_(event_loop_lag_ms|delivery_latency_ms) /;
    expect(problems.filter((p) => !legacy.test(p))).toEqual([]);
  });
});
