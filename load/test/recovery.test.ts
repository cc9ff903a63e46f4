import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiniEdge, type MiniEdge } from "./mini-edge.ts";
import { runScript, values } from "./run-script.ts";

// Smoke runs of reconnect-storm.js, slow-consumers.js and churn.js through the runner
// against the mini edge (a few dozen sockets, a few seconds; latency limits out of reach).
const SMALL = { VUS: "10", SOCKETS_PER_VU: "3", TICKERS_MIN: "5", TICKERS_MAX: "8" };

describe("reconnect-storm.js, slow-consumers.js and churn.js against the mini edge", () => {
  let edge: MiniEdge;
  beforeAll(async () => {
    edge = await startMiniEdge({ ratePerRoom: 10 });
  });
  afterAll(() => edge?.close());

  it("reconnect-storm.js brings every dashboard back and stream rooms recover exactly through `since` replay", async () => {
    const subsBefore = edge.stats().subscribes;
    const r = await runScript("load/reconnect-storm.js", { env: { ...SMALL, TARGET: edge.url, STORM_AT: "2s", RECOVER: "3s" } });
    expect(r.stderr).not.toMatch(/ERRO/);
    expect(r.code).toBe(0);
    expect(values(r.summary, "storm_recovered")).toMatchObject({ passes: 30, fails: 0 });
    expect(values(r.summary, "storm_reconnect_ms").count).toBe(30);
    const exact = values(r.summary, "storm_stream_exact");
    expect(exact.fails).toBe(0);
    expect(exact.passes).toBeGreaterThanOrEqual(30); // alerts + one candles room per socket
    // Every socket subscribed again after the storm. (Whether anything had to be replayed
    // depends on how many messages the edge published during the reconnect, which a busy
    // machine can make zero; exactness is what storm_stream_exact checks.)
    expect(edge.stats().subscribes - subsBefore).toBeGreaterThanOrEqual(60);
    expect(values(r.summary, "ws_msgs_lost").count).toBe(0);
  });

  it("slow-consumers.js really stops reading on slow sockets (the edge's send buffers grow) while healthy ones keep measuring", async () => {
    // Big, fast messages so a stopped reader overflows the kernel's socket buffers within seconds.
    const heavy = await startMiniEdge({ ratePerRoom: 50, payloadBytes: 16_000, maxBufferedBytes: 2 ** 20 });
    try {
      const r = await runScript("load/slow-consumers.js", {
        env: {
          TARGET: heavy.url, VUS: "3", SOCKETS_PER_VU: "2", SLOW_SHARE: "0.34", TICKERS_MIN: "0", TICKERS_MAX: "0",
          WARMUP: "1s", BASELINE: "2s", SLOW: "4s", P99_MS: "10000", SLACK_MS: "10000", MIN_STABLE: "0",
        },
      });
      expect(r.stderr).not.toMatch(/ERRO/);
      expect(r.code).toBe(0);
      expect(values(r.summary, "slow_sockets_stopped").count).toBe(2);
      expect(values(r.summary, "healthy_latency{phase:baseline}").count).toBeGreaterThan(0);
      expect(values(r.summary, "healthy_latency{phase:slow}").count).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/healthy p99: baseline .* → slow phase/);
      // Only a socket that stopped reading lets more than 1 MiB pile up in the server's buffer.
      expect(heavy.stats().closedTooSlow).toBeGreaterThanOrEqual(1);
    } finally {
      await heavy.close();
    }
  });

  it("churn.js swaps rooms, gets a snapshot for every subscribe and no messages from rooms it left", async () => {
    const before = edge.stats().unsubscribes;
    const r = await runScript("load/churn.js", { env: { ...SMALL, TARGET: edge.url, DURATION: "4s", CHURN_RATE: "2", SUB_P99_MS: "10000" } });
    expect(r.stderr).not.toMatch(/ERRO/);
    expect(r.code).toBe(0);
    const ops = values(r.summary, "churn_ops").count ?? 0;
    expect(ops).toBeGreaterThan(30);
    expect(values(r.summary, "churn_subscribe_ms").count).toBeGreaterThan(ops * 0.8);
    expect(values(r.summary, "churn_stray_msgs").count).toBe(0);
    expect(edge.stats().unsubscribes - before).toBe(ops);
  });
});
