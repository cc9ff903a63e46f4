/**
 * "Up" is not "live", end to end: the simulator runs as its own process and is frozen
 * with SIGSTOP under a real stack (nats-server, an actor host with every actor, an edge
 * serving ui/dist, headless Chromium). Within 30 s the dashboard says "Delayed" and greys
 * its prices, the edge's /readyz answers 503 (while /healthz stays 200), `ops status`
 * marks the shard stale and tickflow_data_age_seconds rises on host and edge; after
 * SIGCONT everything is live again within 30 s. promtool checks both /metrics bodies.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { type Host, startHost } from "../../actors/host.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { collectStatus, formatStatus } from "../../ops/cli/status.ts";
import { type Proc, Procs, waitUntil } from "../../test/chaos/procs.ts";
import { freePort, type NatsServerHandle, startNatsServer } from "../../test/nats-server.ts";
import { waitForPort } from "../../lib/platform/net.ts";
import { checkMetrics, ensurePromtool } from "../../test/promtool.ts";
import { freshnessOf } from "../../actors/host-freshness.ts";
import { launch } from "./browser.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const UI_DIST = join(ROOT, "ui", "dist");
const WITHIN = 30_000;

const procs = new Procs();
let nats: NatsServerHandle | undefined;
let sim: Proc | undefined;
let host: Host | undefined;
let edge: EdgeHandle | undefined;
let nc: NatsConnection | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
let work: string | undefined;

const hostMetrics = async () => await (await fetch(`http://127.0.0.1:${host!.metricsPort}/metrics`)).text();
const edgeMetrics = async () => await (await fetch(`http://127.0.0.1:${edge!.port}/metrics`)).text();
const status = async (path: string) => (await fetch(`http://127.0.0.1:${edge!.port}${path}`)).status;

/** Every `tickflow_data_age_seconds` sample of a stage, by its labels. */
function ages(text: string, stage: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/^tickflow_data_age_seconds\{([^}]*)\} (\S+)$/gm)) {
    if (m[1]!.includes(`stage="${stage}"`) && m[1]!.includes(`io="in"`)) out.push(Number(m[2]));
  }
  return out;
}

/** The shard rows of `ops status`, as the CLI collects them. */
async function shardRows() {
  const all = await collectStatus(nc!, 3000);
  const rows = all.flatMap((s) => ("actors" in s ? s.actors : [])).filter((a) => /shard-\d+$/.test(a.path));
  return { rows, table: formatStatus(all) };
}

const label = async () => (await page!.locator("[role=status][data-status]").first().textContent()) ?? "";

beforeAll(async () => {
  ensurePromtool();
  if (!existsSync(join(UI_DIST, "index.html"))) {
    const r = spawnSync("npx", ["vite", "build", "--config", "ui/vite.config.ts", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`vite build failed with ${r.status}`);
  }
  work = await mkdtemp(join(tmpdir(), "tf-freeze-"));
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url, name: "freeze e2e" });
  const simPort = await freePort();
  sim = procs.spawnTs("simulator", "sim/main.ts", { SIM_PORT: String(simPort), SIM_SYMBOLS: "40", SIM_TICK_RATE: "200" });
  await waitForPort(simPort, "127.0.0.1", 60_000);
  host = await startHost({
    env: {
      NATS_URL: nats.url,
      HOST_ID: "freeze-e2e",
      LEASE_MS: "3000",
      FEED: "sim",
      SIM_URL: `http://127.0.0.1:${simPort}`,
      BOOKS: "false",
      SUBSCRIBE_RATE: "50",
      SUBSCRIBE_BURST: "50",
      // Quick to notice and quick to come back: the watchdog reconnects after 3 s without a
      // frame, and reconnect backoff and breaker stay short.
      STALE_MS: "3s",
      STALE_AFTER: "3s",
      RECONNECT_MAX_MS: "2s",
      BREAKER_HALF_OPEN_MS: "2s",
      CONNECT_TIMEOUT_MS: "2s",
      ARCHIVE_URL: join(work, "lake"),
      ARCHIVE_STAGING_DIR: join(work, "staging"),
      ARCHIVE_CACHE_DIR: join(work, "lake-cache"),
      METRICS_PORT: "0",
      METRICS_HOST: "127.0.0.1",
    },
    exitOnDrain: false,
    onGiveUp: () => {},
  });
  edge = await startEdge({ env: { NATS_URL: nats.url, EDGE_HOST: "127.0.0.1", EDGE_PORT: "0", EDGE_ID: "edge-freeze", UI_DIST, EDGE_STALE_AFTER: "3s" } });
  await waitUntil("the edge ready with live prices", async () => (await status("/readyz")) === 200, 60_000, 250);
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
  await page.goto(`http://127.0.0.1:${edge.port}/#/markets`);
  await page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected", null, { timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  if (sim?.pid && sim.running) process.kill(sim.pid, "SIGCONT");
  await browser?.close().catch(() => {});
  await edge?.stop(100).catch(() => {});
  await host?.stop().catch(() => {});
  await nc?.close().catch(() => {});
  await procs.cleanup();
  await nats?.cleanup();
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
}, 60_000);

describe("a frozen simulator under the whole stack", () => {
  it("is live before the freeze: Live label, /readyz 200, no stale shard, and promtool accepts both /metrics", async () => {
    await waitUntil("the shard fresh", async () => (await shardRows()).rows.every((r) => freshnessOf(r.extra)?.stale === false) || undefined, 30_000, 500);
    expect(await label()).toBe("Live");
    expect(ages(await hostMetrics(), "shard").length).toBeGreaterThan(0);
    // Legacy _ms names kept for dashboards and benchmarks (ops/prometheus/README.md); nothing else.
    const legacy = /^(edge_(event_loop_lag_ms|delivery_latency_ms)|ingest_latency_ms|tickflow_coalescer_tick_to_publish_ms) /;
    expect((await checkMetrics(await hostMetrics())).filter((p) => !legacy.test(p))).toEqual([]);
    expect((await checkMetrics(await edgeMetrics())).filter((p) => !legacy.test(p))).toEqual([]);
  }, 60_000);

  it("shows Delayed, answers 503 on /readyz, marks the shard stale and reports rising ages within 30 s of SIGSTOP", async () => {
    const hostBefore = Math.max(...ages(await hostMetrics(), "shard"));
    const edgeBefore = Math.max(...ages(await edgeMetrics(), "edge"));
    process.kill(sim!.pid!, "SIGSTOP");
    const t0 = Date.now();
    await page!.waitForFunction(() => /^Delayed — no updates for \d+ s$/.test(document.querySelector("[role=status]")?.textContent ?? ""), null, { timeout: WITHIN });
    expect(await page!.locator("section.stale").count()).toBeGreaterThan(0);
    await waitUntil("/readyz 503", async () => (await status("/readyz")) === 503, WITHIN - (Date.now() - t0), 250);
    expect(await status("/healthz")).toBe(200);
    const { rows, table } = await waitUntil("ops status marking the shard stale", async () => {
      const s = await shardRows();
      return s.rows.some((r) => freshnessOf(r.extra)?.stale) ? s : undefined;
    }, WITHIN - (Date.now() - t0), 500);
    expect(table).toMatch(/shard-0\s+stale\s.*stale: in:(coinbase|binance) no data for \d+ s/);
    expect(freshnessOf(rows[0]!.extra)?.ages["in:coinbase"]).toBeGreaterThan(3000);
    expect(Date.now() - t0).toBeLessThan(WITHIN);
    expect(Math.max(...ages(await hostMetrics(), "shard"))).toBeGreaterThan(hostBefore + 3);
    expect(Math.max(...ages(await edgeMetrics(), "edge"))).toBeGreaterThan(edgeBefore + 3);
    expect(await hostMetrics()).toMatch(/^tickflow_actor_stale\{[^}]*stage="shard"[^}]*\} 1$/m);
  }, 60_000);

  it("is live again within 30 s of SIGCONT, by itself", async () => {
    process.kill(sim!.pid!, "SIGCONT");
    const t0 = Date.now();
    await page!.waitForFunction(() => document.querySelector("[role=status]")?.textContent === "Live", null, { timeout: WITHIN });
    expect(await page!.locator("section.stale").count()).toBe(0);
    await waitUntil("/readyz 200", async () => (await status("/readyz")) === 200, WITHIN - (Date.now() - t0), 250);
    await waitUntil("ops status without a stale shard", async () => (await shardRows()).rows.every((r) => freshnessOf(r.extra)?.stale === false) || undefined, WITHIN - (Date.now() - t0), 500);
    expect(Math.max(...ages(await hostMetrics(), "shard"))).toBeLessThan(3);
    expect(Date.now() - t0).toBeLessThan(WITHIN);
  }, 60_000);
});
