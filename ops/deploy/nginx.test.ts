/**
 * The edge's limits in a real deployment: the edge as a process with two workers
 * (edge/main.ts, real uWS), and Debian's nginx running the shipped
 * ops/deploy/nginx.conf in front of it. Upgrades are counted by HTTP status: accepted
 * ones are 101, refused ones must be an HTTP error with a reason, never a 101 followed
 * by a close.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient, upgrade, type UpgradeOutcome, waitUntil } from "../../edge/testing.ts";
import { freePort, type NatsServerHandle, startNatsServer } from "../../test/nats-server.ts";
import { type NginxHandle, SHIPPED_NGINX_CONF, startNginx } from "../../test/nginx.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

let ns: NatsServerHandle;
const procs: ChildProcess[] = [];

/** Start edge/main.ts with two workers; resolves when both answer /healthz with 200. */
async function startEdgeProcess(env: Record<string, string>): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawnTsx("edge/main.ts", {
    env: { NATS_URL: ns.url, EDGE_HOST: "127.0.0.1", EDGE_PORT: String(port), EDGE_WORKERS: "2", UI_DIST: "/nonexistent", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  procs.push(proc);
  const seen = new Set<string>();
  await waitUntil(async () => {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: "close" } }).catch(() => undefined);
    if (r?.status === 200) seen.add(String(((await r.json()) as { server: string }).server));
    return seen.size === 2;
  }, "both edge workers healthy", 40_000);
  return { port, proc };
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
}

/** Run `n` upgrades, `concurrency` at a time. */
async function upgrades(n: number, make: (i: number) => Promise<UpgradeOutcome>, concurrency = 100): Promise<UpgradeOutcome[]> {
  const out: UpgradeOutcome[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await make(i);
    }
  }));
  return out;
}

const statuses = (rs: UpgradeOutcome[]) => {
  const m: Record<string, number> = {};
  for (const r of rs) m[`${r.status} ${r.body}`.trim()] = (m[`${r.status} ${r.body}`.trim()] ?? 0) + 1;
  return m;
};
const closeAll = (rs: UpgradeOutcome[]) => rs.forEach((r) => r.socket?.destroy());

beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await ns?.cleanup();
});

describe("the shipped nginx.conf", () => {
  it("is sized for 50,000 proxied WebSockets in one worker and passes the client address and Host", () => {
    const conf = readFileSync(SHIPPED_NGINX_CONF, "utf8");
    const num = (d: string) => Number(new RegExp(`^\\s*${d}\\s+(\\d+);`, "m").exec(conf)?.[1] ?? 0);
    expect(num("worker_connections")).toBeGreaterThanOrEqual(2 * 50_000);
    expect(num("worker_rlimit_nofile")).toBeGreaterThanOrEqual(num("worker_connections"));
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    expect(conf).toMatch(/proxy_set_header Host \$http_host;/);
  });
});

describe("edge limits with two workers", () => {
  it("accepts exactly EDGE_MAX_CONNS_PER_IP of 1,500 upgrades from one address over two workers and refuses the rest with 429 before the upgrade", async () => {
    const edge = await startEdgeProcess({ EDGE_MAX_CONNS_PER_IP: "1000", EDGE_ID: "cap" });
    const rs = await upgrades(1500, () => upgrade(`ws://127.0.0.1:${edge.port}/ws`));
    expect(statuses(rs)).toEqual({ "101": 1000, "429 too_many_connections": 500 });
    // A closed connection frees its slot host-wide.
    closeAll(rs.filter((r) => r.status === 101).slice(0, 10));
    await waitUntil(async () => (await upgrade(`ws://127.0.0.1:${edge.port}/ws`)).status === 101, "a freed slot", 10_000);
    closeAll(rs);
    await stopProcess(edge.proc);
  }, 120_000);
});

describe("edge behind nginx (Debian's nginx, shipped config)", () => {
  let lb: NginxHandle;
  let edge: { port: number; proc: ChildProcess };
  let lbUrl: string;

  beforeAll(async () => {
    edge = await startEdgeProcess({
      EDGE_MAX_CONNS_PER_IP: "1",
      EDGE_TRUSTED_PROXIES: "127.0.0.1",
      EDGE_ALLOWED_HOSTS: "127.0.0.1",
      EDGE_ID: "behind-lb",
    });
    lb = await startNginx({ port: await freePort(), upstreamPort: edge.port });
    lbUrl = `ws://127.0.0.1:${lb.port}/ws`;
  }, 60_000);
  afterAll(async () => {
    await lb?.stop();
    if (edge) await stopProcess(edge.proc);
  });

  it("accepts 2,500 clients from 2,500 distinct addresses with a cap of one per address", async () => {
    const addr = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const rs = await upgrades(2500, (i) => upgrade(lbUrl, { localAddress: addr(i) }));
    expect(statuses(rs)).toEqual({ "101": 2500 });
    // The cap still holds per client: a second connection from a used address, even one
    // claiming another address in its own X-Forwarded-For, is refused.
    const again = await upgrade(lbUrl, { localAddress: addr(7), headers: { "X-Forwarded-For": "198.51.100.1" } });
    expect([again.status, again.body]).toEqual([429, "too_many_connections"]);
    closeAll(rs);
  }, 180_000);

  it("refuses a forged Host with 403 even when the Origin matches it, and admits the page's own origin", async () => {
    const forged = await upgrade(lbUrl, {
      localAddress: "127.2.0.1",
      headers: { Host: "rebound.attacker.example", Origin: "http://rebound.attacker.example" },
    });
    expect([forged.status, forged.body]).toEqual([403, "host_not_allowed"]);
    const foreign = await upgrade(lbUrl, { localAddress: "127.2.0.2", headers: { Origin: "https://evil.example" } });
    expect([foreign.status, foreign.body]).toEqual([403, "origin_not_allowed"]);
    const own = await TestClient.connect(lbUrl, { origin: `http://127.0.0.1:${lb.port}`, localAddress: "127.2.0.3" });
    own.close();
  });

  it("closes a 1 MB frame sent through nginx with 1009", async () => {
    const c = await TestClient.connect(lbUrl, { localAddress: "127.2.0.4" });
    c.send("x".repeat(1 << 20));
    expect((await c.waitClose()).code).toBe(1009);
  });
});
