/**
 * The edge as a process (`node --import tsx edge/main.ts`): workers sharing one port,
 * restart of a dead worker, graceful SIGTERM, refusal of uWS's JavaScript fallback,
 * and configuration errors.
 */
import type { ChildProcess } from "node:child_process";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { CloseCode } from "../lib/contracts/protocol.ts";
import { TestClient, waitUntil } from "./testing.ts";
import { loadUws } from "./transport/uws-load.ts";
import { spawnTsx } from "../test/tsx-child.ts";

/** What an edge with the default transport serves on this Node: native uWS where one loads, else ws (npm test allows the fallback there). */
const DEFAULT_BUILD = loadUws().native ? "uws-native" : "ws-fallback";

let ns: NatsServerHandle;
const procs: ChildProcess[] = [];

interface Run {
  proc: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: string | null }>;
}

function run(env: Record<string, string>): Run {
  const proc = spawnTsx("edge/main.ts", { env: { NATS_URL: ns.url, EDGE_HOST: "127.0.0.1", UI_DIST: "/nonexistent", ...env } });
  procs.push(proc);
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: string | null }>((r) =>
    proc.once("exit", (code, signal) => r({ code, signal }))
  );
  return { proc, output: () => out, exit };
}

/** GET /healthz on a fresh connection (so SO_REUSEPORT may pick another worker). */
function health(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: {} });
        }
      });
    });
    req.on("error", () => resolve({ status: 0, body: {} }));
    // Under node:cluster (the ws transport) a connection handed to a worker as it is
    // killed is never answered: give up on it and poll again.
    req.setTimeout(3000, () => req.destroy());
    req.end();
  });
}

beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await ns?.cleanup();
});

describe("edge/main.ts", () => {
  it("runs EDGE_WORKERS workers on one port, restarts one that dies, and on SIGTERM closes clients with 1001 and exits 0", async () => {
    const port = await freePort();
    const r = run({ EDGE_PORT: String(port), EDGE_WORKERS: "2", EDGE_ID: "edge-main" });
    const pids = new Map<string, number>();
    await waitUntil(async () => {
      const h = await health(port);
      if (h.status === 200) pids.set(String(h.body.server), Number(h.body.pid));
      return pids.size === 2;
    }, "both workers healthy", 40_000);
    expect([...pids.keys()].sort()).toEqual(["edge-main-w0", "edge-main-w1"]);
    const h = await health(port);
    expect(h.body).toMatchObject({ build: DEFAULT_BUILD, nats: "connected" });

    process.kill(pids.get("edge-main-w1")!, "SIGKILL");
    await waitUntil(async () => {
      const h = await health(port);
      return h.status === 200 && h.body.server === "edge-main-w1" && h.body.pid !== pids.get("edge-main-w1");
    }, "worker 1 restarted", 40_000);
    expect(r.output()).toContain("restarting");

    const c = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    const t0 = Date.now();
    r.proc.kill("SIGTERM");
    expect((await c.waitClose()).code).toBe(CloseCode.GoingAway);
    expect(await r.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("refuses to serve without native uWS unless EDGE_ALLOW_UWS_FALLBACK=true, and then warns once and reports why", async () => {
    const refused = run({ EDGE_PORT: String(await freePort()), EDGE_WORKERS: "1", UWS_USE_FALLBACK: "1", EDGE_ALLOW_UWS_FALLBACK: "false" });
    expect((await refused.exit).code).toBe(1);
    expect(refused.output()).toContain("UwsFallbackRefusedError");
    expect(refused.output()).toContain("UWS_USE_FALLBACK is set");

    const port = await freePort();
    const allowed = run({ EDGE_PORT: String(port), EDGE_WORKERS: "2", UWS_USE_FALLBACK: "1", EDGE_ALLOW_UWS_FALLBACK: "true" });
    await waitUntil(async () => (await health(port)).status === 200, "fallback edge healthy", 30_000);
    expect((await health(port)).body).toMatchObject({ build: "ws-fallback", why: "UWS_USE_FALLBACK is set" });
    await waitUntil(() => (allowed.output().match(/listening on/g) ?? []).length === 2, "both workers listening", 30_000);
    // Two workers, one warning (worker 0's), with the cause, the cost and the way out.
    const warnings = allowed.output().split("\n").filter((l) => l.includes("serving through the ws transport"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/UWS_USE_FALLBACK is set.*Cost: .*CPU per delivered message.*Native build: .*uws-upstream/);
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    c.send({ op: "ping", id: 1 });
    await c.waitFor((f) => f.type === "pong");
    c.close();
    allowed.proc.kill("SIGTERM");
    expect((await allowed.exit).code).toBe(0);
  });

  it("stops with exit code 2 and names the variable when a setting is invalid", async () => {
    const r = run({ EDGE_PORT: "eighty", EDGE_WORKERS: "1" });
    expect((await r.exit).code).toBe(2);
    expect(r.output()).toContain("EDGE_PORT");
  });
});
