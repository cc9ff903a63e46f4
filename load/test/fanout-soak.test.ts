import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiniEdge, type MiniEdge } from "./mini-edge.ts";
import { runScript, values } from "./run-script.ts";

// Smoke runs of the k6 scenarios through the runner against the mini edge: a few dozen
// sockets for a few seconds. Latency thresholds are set far out of reach on purpose —
// the machine is shared; speed is for benchmarks, not tests.
const SMALL = { VUS: "10", SOCKETS_PER_VU: "3", P99_MS: "10000", TICKERS_MIN: "5", TICKERS_MAX: "8" };

describe("fanout.js and soak.js against the mini edge", () => {
  let edge: MiniEdge;
  beforeAll(async () => {
    edge = await startMiniEdge({ ratePerRoom: 10 });
  });
  afterAll(() => edge?.close());

  it("fanout.js connects every dashboard, loses nothing, measures latency and writes a report with server RSS", async () => {
    const report = join(tmpdir(), `fanout-${process.pid}.html`);
    const r = await runScript("load/fanout.js", {
      env: { ...SMALL, TARGET: edge.url, RAMP: "1s", DURATION: "3s", PUBLISHED_URL: edge.publishedUrl },
      args: ["--out", report, "--server-pid", String(process.pid)],
    });
    expect(r.stderr).not.toMatch(/ERRO/);
    expect(r.code).toBe(0);
    expect(values(r.summary, "ws_connect_ok")).toMatchObject({ passes: 30, fails: 0 });
    expect(values(r.summary, "ws_msgs_lost").count).toBe(0);
    expect(values(r.summary, "ws_msgs_counted").count).toBe(values(r.summary, "ws_msgs_expected").count);
    expect(values(r.summary, "ws_msgs_trailing_lost").count).toBe(0);
    expect(values(r.summary, "ws_delivery_latency").count).toBeGreaterThan(100);
    expect(values(r.summary, "ws_msgs_received").count).toBeGreaterThan(500);
    expect(values(r.summary, "runner_server_rss_bytes").max).toBeGreaterThan(10 * 2 ** 20);
    expect(r.stdout).toContain("fanout: 30 dashboards");
    expect(edge.stats().sourceAddresses).toBeGreaterThan(1); // 127.0.0.x rotation
    const html = readFileSync(report, "utf8");
    rmSync(report);
    expect(html).toContain("ws_delivery_latency (per second)");
    expect(html).toContain("Server RSS");
  });

  it("fanout.js counts seq gaps as lost messages and fails its threshold (exit 99) when the edge drops updates", async () => {
    const lossy = await startMiniEdge({ ratePerRoom: 10, dropEvery: 7 });
    try {
      const r = await runScript("load/fanout.js", { env: { ...SMALL, VUS: "4", TARGET: lossy.url, RAMP: "0s", DURATION: "3s", PUBLISHED_URL: lossy.publishedUrl } });
      expect(r.code).toBe(99);
      const lost = values(r.summary, "ws_msgs_lost").count;
      expect(lost).toBeGreaterThan(0);
      const n = (name: string) => values(r.summary, name).count ?? 0;
      expect(lost).toBe(n("ws_msgs_expected") - n("ws_msgs_counted"));
      // Holes are seen during the drain too (after counting stopped), so they bound lost from above.
      expect(lost).toBeLessThanOrEqual(n("ws_seq_gaps") + n("ws_msgs_trailing_lost"));
      expect(r.summary.metrics.ws_msgs_lost.thresholds).toEqual({ "count<=0": { ok: false } });
    } finally {
      await lossy.close();
    }
  });

  it("a worker refuses sockets beyond --max-sockets-per-worker, which the script sees as failed connects", async () => {
    const r = await runScript("load/fanout.js", {
      env: { ...SMALL, VUS: "2", SOCKETS_PER_VU: "5", TARGET: edge.url, RAMP: "0s", DURATION: "2s" },
      args: ["--workers", "1", "--max-sockets-per-worker", "6"],
    });
    expect(r.code).toBe(99);
    expect(values(r.summary, "ws_connect_ok")).toMatchObject({ passes: 6, fails: 4 });
  });

  it("k6/http get (synchronous) and asyncRequest work in the runner", async () => {
    const r = await runScript("load/runner/testdata/http-get.js", { env: { URL: edge.metricsUrl } });
    expect(r.code).toBe(0);
    expect(values(r.summary, "checks")).toMatchObject({ passes: 16, fails: 0 });
    expect(values(r.summary, "http_reqs").count).toBe(12);
    expect(values(r.summary, "http_req_failed")).toMatchObject({ passes: 4, fails: 8 }); // the 404s
  });

  it("soak.js holds the load and samples the server's RSS from its /metrics endpoint", async () => {
    const r = await runScript("load/soak.js", {
      env: { ...SMALL, TARGET: edge.url, RAMP: "1s", DURATION: "3s", SAMPLE_EVERY: "1s", WARMUP: "1s", MAX_GROWTH_PCT: "200", METRICS_URL: edge.metricsUrl },
    });
    expect(r.stderr).not.toMatch(/ERRO/);
    expect(r.code).toBe(0);
    expect(values(r.summary, "server_rss_bytes").value).toBeGreaterThan(10 * 2 ** 20);
    expect(values(r.summary, "http_reqs").count).toBeGreaterThanOrEqual(3);
    expect(values(r.summary, "server_rss_growth_pct").count).toBeGreaterThanOrEqual(1);
    expect(values(r.summary, "ws_msgs_lost").count).toBe(0);
  });
});
