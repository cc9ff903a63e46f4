import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRealStack, type RealStack } from "./real-stack.ts";
import { runScript, values, type RunResult } from "./run-script.ts";
import { deliveryFigures } from "../lib/summary.js";

// Short smoke runs of every k6 scenario through the project's runner against the REAL
// stack: nats-server, an actor host (coalescer + mover-ranker) fed with TickBatch
// messages on JetStream, and the uWebSockets.js edge. About 290 sockets in total, a few
// seconds each. Latency thresholds are set out of reach on purpose (the machine is
// shared; speed is for benchmarks): what must hold is that every run passes its
// thresholds, messages flow, and no update is lost or skipped.
const COMMON = { P99_MS: "10000", TICKERS_MIN: "5", TICKERS_MAX: "8" };

/** A Counter's count, 0 when the metric never got a sample (then it is not in the summary). */
function count(r: RunResult, name: string): number {
  return r.summary?.metrics?.[name]?.values?.count ?? 0;
}

/** Stream-room subscribes with `since` the edge could not honour (gap, too_old, unavailable). */
function resyncCount(stack: RealStack): number {
  let n = 0;
  for (const [outcome, k] of stack.edge.hub.stats.replays) if (outcome !== "replayed" && outcome !== "snapshot") n += k;
  return n;
}

function expectClean(r: RunResult): void {
  if (r.code !== 0) console.error(`runner exit ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  expect(r.stderr).not.toMatch(/ERRO/);
  expect(r.code).toBe(0);
  expect(count(r, "ws_msgs_received")).toBeGreaterThan(0);
  expect(values(r.summary, "ws_msgs_lost").count).toBe(0);
  expect(count(r, "ws_seq_gaps")).toBe(0);
  expect(count(r, "ws_server_errors")).toBe(0);
  expect(count(r, "ws_seq_dups")).toBe(0);
  expect(count(r, "ws_unexpected_closes")).toBe(0);
  expect(count(r, "ws_silent_sockets")).toBe(0);
  expect(count(r, "ws_msgs_counted")).toBe(count(r, "ws_msgs_expected"));
}

describe("k6 scenarios against the real stack (nats-server, coalescer, mover-ranker, uWS edge)", () => {
  let stack: RealStack;
  beforeAll(async () => {
    stack = await startRealStack({ hz: 4 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  }, 30_000);

  it("fanout.js holds 100 dashboards on the edge and receives every coalesced update in order", async () => {
    const out0 = stack.edge.hub.stats.msgsOut;
    const r = await runScript("load/fanout.js", {
      env: { ...COMMON, TARGET: stack.url, VUS: "10", SOCKETS_PER_VU: "10", RAMP: "1s", DURATION: "3s", PUBLISHED_URL: stack.ledger.url },
    });
    expectClean(r);
    // Received is compared with the producer's count: published × subscribers, trailing loss included.
    expect(count(r, "ws_msgs_expected")).toBeGreaterThan(1000);
    expect(count(r, "ws_msgs_trailing_lost")).toBe(0);
    expect(deliveryFigures(r.summary, true)).toMatchObject({ lost: 0, lostComputed: 0, trailing: 0 });
    expect(values(r.summary, "ws_connect_ok")).toMatchObject({ passes: 100, fails: 0 });
    expect(values(r.summary, "ws_delivery_latency").count).toBeGreaterThan(100);
    // ~100 sockets × (5–8 tickers at ≤ 4 Hz + movers/pulse/alerts) for ≥ 3 s
    expect(count(r, "ws_msgs_received")).toBeGreaterThan(2000);
    expect(stack.edge.hub.stats.msgsOut - out0).toBeGreaterThanOrEqual(count(r, "ws_msgs_received") * 0.9);
    expect(stack.hostErrors).toEqual([]);
  });

  it("reconnect-storm.js brings all 60 dashboards back, and alerts and candles resume exactly where they left off (`since`)", async () => {
    const resyncs0 = resyncCount(stack);
    const r = await runScript("load/reconnect-storm.js", {
      env: { ...COMMON, TARGET: stack.url, VUS: "10", SOCKETS_PER_VU: "6", STORM_AT: "3s", RECOVER: "3s", CANDLES: "1" },
    });
    expectClean(r);
    expect(values(r.summary, "storm_recovered")).toMatchObject({ passes: 60, fails: 0 });
    expect(values(r.summary, "storm_reconnect_ms").count).toBe(60);
    const exact = values(r.summary, "storm_stream_exact");
    expect(exact.fails).toBe(0);
    expect(exact.passes).toBeGreaterThanOrEqual(60); // at least `alerts` on every socket
    // `since` was honoured: whatever was missed came from ROOMLOG (or nothing was), never a resync.
    expect(count(r, "ws_resyncs")).toBe(0);
    expect(resyncCount(stack)).toBe(resyncs0);
  });

  it("slow-consumers.js stops reading on 10 sockets while the 20 healthy ones keep measuring without loss", async () => {
    const r = await runScript("load/slow-consumers.js", {
      env: {
        ...COMMON, TARGET: stack.url, VUS: "6", SOCKETS_PER_VU: "5", SLOW_SHARE: "0.34",
        WARMUP: "1s", BASELINE: "2s", SLOW: "2s", SLACK_MS: "10000", MIN_STABLE: "0",
      },
    });
    expectClean(r);
    expect(values(r.summary, "slow_sockets_stopped").count).toBe(10);
    expect(values(r.summary, "healthy_latency{phase:baseline}").count).toBeGreaterThan(0);
    expect(values(r.summary, "healthy_latency{phase:slow}").count).toBeGreaterThan(0);
  });

  it("churn.js swaps ticker rooms and gets a snapshot for every subscribe and nothing from rooms it left", async () => {
    const r = await runScript("load/churn.js", {
      env: { ...COMMON, TARGET: stack.url, VUS: "10", SOCKETS_PER_VU: "5", DURATION: "4s", CHURN_RATE: "2", TICKERS: "5", SUB_P99_MS: "10000" },
    });
    expectClean(r);
    const ops = count(r, "churn_ops");
    expect(ops).toBeGreaterThan(100);
    expect(values(r.summary, "churn_subscribe_ms").count).toBeGreaterThan(ops * 0.8);
    expect(values(r.summary, "churn_no_snapshot").count).toBe(0);
    expect(values(r.summary, "churn_stray_msgs").count).toBe(0);
  });

  it("soak.js holds 50 dashboards and samples the edge's RSS from its /metrics endpoint", async () => {
    const r = await runScript("load/soak.js", {
      env: {
        ...COMMON, TARGET: stack.url, VUS: "5", SOCKETS_PER_VU: "10", RAMP: "1s", DURATION: "4s",
        SAMPLE_EVERY: "1s", WARMUP: "1s", MAX_GROWTH_PCT: "200", METRICS_URL: stack.metricsUrl, PUBLISHED_URL: stack.ledger.url,
      },
    });
    expectClean(r);
    expect(values(r.summary, "server_rss_bytes").value).toBeGreaterThan(10 * 2 ** 20);
    expect(values(r.summary, "server_rss_growth_pct").count).toBeGreaterThanOrEqual(1);
    expect(stack.hostErrors).toEqual([]);
  });
});
