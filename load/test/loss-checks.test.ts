import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliveryFigures } from "../lib/summary.js";
import { startFaultProxy, type FaultOptions, type FaultProxy } from "./fault-proxy.ts";
import { startRealStack, type RealStack } from "./real-stack.ts";
import { runScript, type RunResult } from "./run-script.ts";

// Each delivery check of the load scripts (lib/accounting.js, lib/fleet.js) against the
// REAL stack (nats-server, actor host, uWS edge), through a fault-injecting WebSocket
// proxy (./fault-proxy.ts; the real edge does not repeat, skip or withhold on demand):
// a clean run passes every check, and each injected fault fails its own threshold.
// The producer's count comes from ./ledger.ts (room.> on NATS), not from the edge.
const SMALL = { VUS: "4", SOCKETS_PER_VU: "5", RAMP: "0s", TICKERS_MIN: "3", TICKERS_MAX: "5", P99_MS: "100000" };

const count = (r: RunResult, name: string): number => r.summary?.metrics?.[name]?.values?.count ?? 0;

/** The thresholds that failed, as "metric expr". */
function failed(r: RunResult): string[] {
  return Object.entries(r.summary?.metrics ?? {}).flatMap(([name, m]: [string, any]) =>
    Object.entries(m.thresholds ?? {}).filter(([, t]: [string, any]) => !t.ok).map(([expr]) => `${name} ${expr}`));
}

describe("fanout.js loss checks fail on injected faults (real stack behind a fault proxy)", () => {
  let stack: RealStack;
  const proxies: FaultProxy[] = [];
  beforeAll(async () => {
    stack = await startRealStack({ hz: 4 });
  }, 60_000);
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await stack?.stop();
  }, 30_000);

  async function run(faults: Omit<FaultOptions, "target">, duration = "3s", env: Record<string, string> = {}) {
    const proxy = await startFaultProxy({ target: stack.url, ...faults });
    proxies.push(proxy);
    const r = await runScript("load/fanout.js", {
      env: { ...SMALL, TARGET: proxy.url, DURATION: duration, PUBLISHED_URL: stack.ledger.url, ...env },
    });
    if (r.summary === undefined) throw new Error(`no summary (exit ${r.code})\n${r.stderr.slice(-2000)}`);
    const d = deliveryFigures(r.summary, true)!;
    console.log(`${JSON.stringify(faults)}: exit ${r.code}, failed ${JSON.stringify(failed(r))}, ${JSON.stringify(d)}, proxy ${JSON.stringify(proxy.stats)}`);
    return { r, proxy, d };
  }

  it("a clean run through the proxy: received = expected (published × subscribers) and every check passes", async () => {
    const { r, d } = await run({});
    expect(failed(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(d.expected).toBeGreaterThan(0);
    expect(d).toMatchObject({ received: d.expected, lost: 0, lostComputed: 0, trailing: 0, repeats: 0, unexpectedCloses: 0, silentSockets: 0 });
  });

  it("a repeated update is counted raw in ws_seq_dups and fails its threshold, losing nothing", async () => {
    const { r, d, proxy } = await run({ duplicateEvery: 5 });
    expect(proxy.stats.duplicated).toBeGreaterThan(0);
    expect(failed(r)).toEqual(["ws_seq_dups count<=0"]);
    expect(r.code).toBe(99);
    expect(d.repeats).toBe(proxy.stats.duplicated);
    expect(d.lost).toBe(0);
  });

  it("a hole (an update not delivered) makes received < expected and fails ws_msgs_lost", async () => {
    const { r, d, proxy } = await run({ dropEvery: 7 });
    expect(failed(r)).toEqual(["ws_msgs_lost count<=0"]);
    expect(d.lost).toBeGreaterThan(0);
    expect(d.lost).toBe(d.expected - d.received);
    expect(d.lost).toBeLessThanOrEqual(proxy.stats.dropped); // drops after the cutoff are not counted
    expect(d.holes).toBeGreaterThan(0);
  });

  it("trailing loss (a room stops arriving, no later update reveals a hole) is found only against the producer's count", async () => {
    const { r, d, proxy } = await run({ trailing: { room: "pulse", afterMs: 1500 } }, "4s");
    expect(proxy.stats.trailingDropped).toBeGreaterThan(0);
    expect(d.holes).toBe(0); // the old check (holes inside a sequence) saw nothing
    expect(d.trailing).toBeGreaterThan(0);
    expect(d.lost).toBe(d.trailing);
    expect(failed(r)).toEqual(["ws_msgs_lost count<=0"]);
  });

  it("sockets cut by the network count in ws_unexpected_closes, and what they missed counts as lost", async () => {
    const { r, d, proxy } = await run({ closeAfterMs: 1500 });
    // Sockets a slow machine connects late may be closed by the script before the cut.
    expect(proxy.stats.cut).toBeGreaterThan(0);
    expect(d.unexpectedCloses).toBeGreaterThan(0);
    expect(d.unexpectedCloses).toBeLessThanOrEqual(proxy.stats.cut);
    expect(d.trailing).toBeGreaterThan(0);
    expect(failed(r).sort()).toEqual(["ws_msgs_lost count<=0", "ws_unexpected_closes count<=0"]);
  });

  it("frames held back for longer than 3 × ROOM_INTERVAL count as silent sockets", async () => {
    const { r, d, proxy } = await run({ silence: { afterMs: 500, forMs: 2000 } }, "6s", { ROOM_INTERVAL: "500ms" });
    expect(proxy.stats.held).toBeGreaterThan(0);
    expect(d.silentSockets).toBeGreaterThan(0);
    expect(d.repeats).toBe(0);
    // Held frames released after a late socket's counting stopped show as trailing loss.
    expect(failed(r)).toContain("ws_silent_sockets count<=0");
  });
});
