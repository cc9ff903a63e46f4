/**
 * The RESULT line every benchmark ends with (bench/report.ts) and how the suite
 * counts it: met, missed and not measured apart; the commit stamp says "dirty" when
 * the tree has changes; the line is copied into the section the benchmark wrote, where
 * the edge's fallback warning reads the ws ÷ uWS ratio from.
 */
import { execSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { countTargets, gitStamp, parseResult, reportResult, type BenchResult, writeBenchSection } from "./report.ts";
import { fallbackWarning, transportCost } from "../edge/transport/fallback.ts";

const tmp = mkdtempSync(join(tmpdir(), "bench-result-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const result = (met: BenchResult["met"]): BenchResult => ({
  name: "x", figures: {}, targets: Object.fromEntries(Object.keys(met).map((k) => [k, "≤ 1"])), met, commit: "abc", dirty: false,
});

describe("benchmark RESULT lines", () => {
  it("counts met, missed and not measured separately: a target without a figure is never met", () => {
    const c = countTargets([result({ a: true, b: false, c: null }), result({ d: true, e: null })]);
    expect(c).toEqual({ met: 2, missed: 1, unmeasured: 2 });
  });

  it("turns a missing or non-finite figure into null and its target into not measured", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const r = reportResult({ name: "t", figures: { p99_ms: Number.NaN, rate: 5 }, targets: { p99_ms: "≤ 50", rate: "≥ 1" }, met: { rate: true } });
    const printed = String(log.mock.calls.at(-1)?.[0]);
    log.mockRestore();
    expect(r.figures).toEqual({ p99_ms: null, rate: 5 });
    expect(r.met).toEqual({ p99_ms: null, rate: true });
    expect(printed.startsWith("RESULT {")).toBe(true);
    expect(parseResult(`noise\n${printed}\n`)).toEqual(r);
  });

  it("stamps a tree with uncommitted changes as dirty, but not for BENCHMARKS.md alone", () => {
    const repo = join(tmp, "repo");
    const git = (c: string) => execSync(`git ${c}`, { cwd: repo, stdio: "pipe" });
    execSync(`git init -q ${repo}`);
    writeFileSync(join(repo, "a.ts"), "1\n");
    writeFileSync(join(repo, "BENCHMARKS.md"), "# b\n");
    git("add -A");
    git("-c user.email=t@t -c user.name=t commit -qm one");
    expect(gitStamp(repo).dirty).toBe(false);
    writeFileSync(join(repo, "BENCHMARKS.md"), "# b\nnew figures\n");
    expect(gitStamp(repo).dirty).toBe(false);
    writeFileSync(join(repo, "a.ts"), "2\n");
    expect(gitStamp(repo)).toMatchObject({ dirty: true, commit: git("rev-parse --short HEAD").toString().trim() });
  });

  it("copies the RESULT into the benchmark's section, where the fallback warning finds the measured ratio", () => {
    const file = join(tmp, "BENCHMARKS.md");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    writeBenchSection("transport", "Edge transports", "table", file);
    reportResult({ name: "transport", figures: { clients: 500, cpu_ratio_ws_to_uws: 2.75 } });
    log.mockRestore();
    expect(readFileSync(file, "utf8")).toMatch(/<!-- RESULT \{"name":"transport".*\} -->\n<!-- bench:transport:end -->/);
    const cost = transportCost(file);
    expect(cost).toMatchObject({ ratio: 2.75 });
    expect(fallbackWarning({ native: false, build: "ws-fallback", why: "no native uWS loads", attempts: [] }, cost)).toContain("about 2.8× the CPU per delivered message");
    expect(transportCost(join(tmp, "missing.md"))).toBeUndefined();
  });
});
