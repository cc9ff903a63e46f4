import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runScript, values } from "../test/run-script.ts";

const KNOWN = "load/runner/testdata/known.js";

describe("the k6 runner", () => {
  it("runs a script with known results across two worker processes and passes its thresholds (exit 0)", async () => {
    const r = await runScript(KNOWN, { args: ["--workers", "2", "--out", join(tmpdir(), `known-report-${process.pid}.html`)], env: { SUMMARY_OUT: "/dev/null" } });
    expect(r.stderr).not.toMatch(/ERRO/);
    expect(r.code).toBe(0);
    const s = r.summary;
    // 4 VUs × 5 iterations, each adding 1 at once and 1 from a timer.
    expect(values(s, "known_count").count).toBe(40);
    expect(values(s, "known_count{source:timer}").count).toBe(20);
    expect(values(s, "iterations").count).toBe(20);
    const t = values(s, "known_trend");
    expect(t).toMatchObject({ count: 20, min: 10, max: 50, avg: 30 });
    expect(t["p(90)"]).toBeCloseTo(50, 0);
    expect(t.med).toBeGreaterThan(29.8);
    expect(t.med).toBeLessThan(30.2);
    expect(values(s, "known_rate")).toEqual({ rate: 0.6, passes: 12, fails: 8 });
    expect(values(s, "known_gauge")).toMatchObject({ min: 1, max: 4 });
    expect(values(s, "checks")).toMatchObject({ passes: 20, fails: 0 });
    const report = join(tmpdir(), `known-report-${process.pid}.html`);
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, "utf8");
    rmSync(report);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script src=|https?:\/\/cdn/);
  });

  it("hands handleSummary the k6 data shape: metrics with type/contains/values/thresholds, root_group, options, state", async () => {
    const r = await runScript(KNOWN, { env: { SUMMARY_OUT: "/dev/null" } });
    expect(r.code).toBe(0);
    const s = r.summary;
    expect(Object.keys(s).sort()).toEqual(["metrics", "options", "root_group", "setup_data", "state"]);
    expect(s.setup_data).toEqual({ startedBy: "setup" });
    expect(s.root_group).toMatchObject({ name: "", path: "", groups: [] });
    expect(s.root_group.checks[0]).toMatchObject({ name: "iteration is a number", passes: 20, fails: 0 });
    expect(s.options.summaryTrendStats).toContain("p(99.9)");
    expect(s.state.testRunDurationMs).toBeGreaterThan(0);
    expect(s.metrics.known_trend).toMatchObject({ type: "trend", contains: "time" });
    expect(Object.keys(s.metrics.known_trend.values)).toEqual(["avg", "min", "med", "max", "p(90)", "p(99)", "p(99.9)", "count"]);
    expect(s.metrics.known_count.thresholds).toEqual({ "count==40": { ok: true } });
    expect(s.metrics.known_rate).toMatchObject({ type: "rate", contains: "default" });
    expect(s.metrics.known_gauge.type).toBe("gauge");
    expect(s.metrics.data_received).toBeUndefined(); // unobserved metrics are left out, as in k6
  });

  it("exits with 99 when a threshold fails, and still writes handleSummary's output", async () => {
    const out = join(tmpdir(), `known-fail-${process.pid}.json`);
    const r = await runScript(KNOWN, { env: { FAIL: "1", SUMMARY_OUT: out } });
    expect(r.code).toBe(99);
    const written = JSON.parse(readFileSync(out, "utf8"));
    rmSync(out);
    expect(written.metrics.iterations.thresholds).toEqual({ "count<1": { ok: false } });
  });

  it("exits with 107 when the script's init context throws, 104 for an unsupported executor and 108 on test.abort()", async () => {
    const broken = await runScript("load/runner/testdata/broken.js");
    expect(broken.code).toBe(107);
    expect(broken.stderr).toContain("broken on purpose");
    const arrival = await runScript("load/runner/testdata/arrival-rate.js");
    expect(arrival.code).toBe(104);
    expect(arrival.stderr).toContain("constant-arrival-rate");
    const aborted = await runScript("load/runner/testdata/abort.js", { args: ["--workers", "2"] });
    expect(aborted.code).toBe(108);
    expect(aborted.stderr).toContain("test aborted: enough");
    expect(values(aborted.summary, "iterations").count).toBeLessThan(100); // stopped long before 60 s
  });
});
