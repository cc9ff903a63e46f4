import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStep } from "./children.ts";
import { spawnTsxSync } from "../test/tsx-child.ts";
import { edgeBudgets, edgeStages } from "./parse.ts";
import { sideMarkdown, stageVerdicts, type SideStage } from "./side-by-side.ts";
import type { SideFigures } from "./edge-side.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-bench-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("runStep()", () => {
  it("stops a step at its time limit together with the processes it started", async () => {
    const script = join(dir, "hang.mjs");
    writeFileSync(script, [
      'import { spawn } from "node:child_process";',
      'const g = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });',
      "console.log(`grandchild ${g.pid}`);",
      'process.on("SIGTERM", () => {}); // ignores SIGTERM: only SIGKILL ends it',
      "setTimeout(() => {}, 60000);",
    ].join("\n"));
    const r = await runStep({ script, timeoutMs: 5000, graceMs: 500 }); // tsx start-up takes a while on a busy machine
    expect(r.status).toBe("timeout");
    const pid = Number(/grandchild (\d+)/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(pid)).toBe(false);
  });

  it("reports a failing step with its exit code and the tail of its output", async () => {
    const script = join(dir, "fail.mjs");
    writeFileSync(script, 'console.log("working"); console.error("disk on fire"); process.exit(3);');
    const r = await runStep({ script, timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: "failed", code: 3 });
    expect(r.tail).toContain("disk on fire");
  });
});

describe("edgeStages() and edgeBudgets()", () => {
  const printed = [
    "clients 1000: held 1000 …",
    "",
    "Each client subscribes …",
    "",
    "| clients | held | failed | edge procs | published msg/s | delivered msg/s | p50 ms | p99 ms | p99.9 ms | edge CPU µs/msg | edge CPU % | RSS KB/conn added | clients CPU % | probe lag p99 ms | ramp s |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    "| 1000 | 1000 | 0 | 3 | 1111 | 32000 | 3 | 12 | 20 | 1.80 | 6 | – | 3 | 10 | 1.2 |",
    "| 50000 | 49990 | 10 | 4 | 1111 | 1500000 | 9 | 61 | 90 | 2.40 | 180 | 5.20 | 90 | 12 | 40.0 |",
    "wrote section \"edge\" to BENCHMARKS.md",
  ].join("\n");

  it("reads the edge benchmark's printed table by column name", () => {
    const rows = edgeStages(printed);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ clients: "50000", held: "49990", "p99 ms": "61", "edge CPU µs/msg": "2.40" });
    expect(edgeStages("no table here")).toEqual([]);
  });

  it("marks each edge budget met or missed per stage", () => {
    const b = edgeBudgets(edgeStages(printed));
    const verdict = (what: string) => b.find((x) => x.what === what)?.met;
    expect(verdict("edge, 1,000 clients: CPU per delivered message")).toBe(true);
    expect(verdict("edge, 50,000 clients: connections held")).toBe(false);
    expect(verdict("edge, 50,000 clients: delivery latency p99")).toBe(false);
    expect(verdict("edge, 50,000 clients: CPU per delivered message")).toBe(false);
    expect(verdict("edge, 50,000 clients: RSS per connection")).toBe(true);
    // Too few connections added for an RSS figure: no verdict rather than a false one.
    expect(verdict("edge, 1,000 clients: RSS per connection")).toBeUndefined();
  });
});

describe("sideMarkdown()", () => {
  const fig = (server: SideFigures["server"], cpu: number, rssKb: number): SideFigures => ({
    server, connections: 1000, delivered: 100_000, windowSec: 10, cpuUsPerDelivered: cpu, rssPerConnectionBytes: rssKb * 1024,
    client: { connected: 1000, failed: 0, connectSec: 1, received: 100_000, msgsPerSec: 10_000, gaps: 0, latencyMs: { p50: 2, p99: 8, max: 12, count: 500 }, clientLagP99Ms: 3 },
  });
  const load = { clients: 1000, rooms: 100, roomsPerClient: 10, rate: 1, payloadBytes: 100, durationMs: 10_000, sourceIps: 16 };

  it("states which side-by-side targets are met and which are missed, with the ratios", () => {
    const stage: SideStage = { load, edge: fig("edge", 2, 20), uws: fig("uws", 1, 18), socketio: fig("socketio", 20, 200), errors: [], verdicts: [] };
    stage.verdicts = stageVerdicts(stage);
    // CPU 2 ÷ 1 = 2× (wanted ≤ 1.5×: missed); 20 ÷ 2 = 10× (≥ 8×: met); memory 200 ÷ 20 = 10× (≥ 5×: met)
    expect(stage.verdicts.map((v) => [v.ratio, v.met])).toEqual([[2, false], [10, true], [10, true]]);
    const md = sideMarkdown([stage], false);
    expect(md).toContain("| ratio edge ÷ bare uWS |");
    expect(md).toMatch(/CPU per delivered message, edge ÷ bare uWS \| 2\.00× \| ≤ 1\.5× \| ❌ missed/);
    expect(md).toContain("**Targets:** 2 of 3 met; missed: CPU per delivered message, edge ÷ bare uWS at 1000 clients (2.00×, wanted ≤ 1.5×).");
  });

  it("treats memory growth within the heap noise as an upper bound, and decides the ratio only when the bound does", () => {
    // 1,000 connections × 4 KB = 4 MB, under the 16 MiB noise: the edge's figure is ≤ 16.8 KB.
    const wide: SideStage = { load, edge: fig("edge", 2, 4), uws: fig("uws", 1, 3), socketio: fig("socketio", 20, 200), errors: [], verdicts: [] };
    wide.verdicts = stageVerdicts(wide);
    const mem = wide.verdicts[2]!;
    expect(mem).toMatchObject({ atLeast: true, met: true });
    expect(mem.ratio).toBeCloseTo(200 / 16.384, 2);
    const md = sideMarkdown([wide], false);
    expect(md).toContain("≤ 16.4 (noise)");
    expect(md).toMatch(/memory per connection, Socket\.IO ÷ edge \| ≥ 12\.21× \| ≥ 5× \| ✅ met/);

    const narrow: SideStage = { ...wide, socketio: fig("socketio", 20, 40), verdicts: [] };
    expect(stageVerdicts(narrow)[2]).toMatchObject({ atLeast: true, met: undefined }); // ≥ 2.4× says nothing about ≥ 5×
  });

  it("reports a server whose run failed as not measured instead of guessing a verdict", () => {
    const stage: SideStage = { load, edge: fig("edge", 2, 4), uws: fig("uws", 1, 3), errors: ["Socket.IO: server exited with code 1"], verdicts: [] };
    stage.verdicts = stageVerdicts(stage);
    expect(stage.verdicts.map((v) => v.met)).toEqual([false, undefined, undefined]);
    const md = sideMarkdown([stage], false);
    expect(md).toContain("| Socket.IO | failed |");
    expect(md).toContain("- **failed:** Socket.IO: server exited with code 1");
    expect(md).toContain("not measured: CPU per delivered message, Socket.IO ÷ edge at 1000 clients");
  });
});

describe("bench/all.ts", () => {
  it("refuses an unknown step name in --only with exit code 2 and lists the steps", () => {
    const out = join(dir, "B.md");
    const r = spawnTsxSync("bench/all.ts", { args: ["--only", "edge,warp", "--out", out] });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown step(s) warp; steps are edge, side-by-side, load, ingest, rooms, archive, ui, transport, sim");
    expect(() => readFileSync(out)).toThrow(); // nothing written
  });
});
