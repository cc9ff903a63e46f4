/**
 * `npm test`'s counting (ops/bin/test.mjs, runner.mjs, counts-reporter.ts), run for
 * real on planted suites: a stale report with 999 passes left where a broken suite
 * would write its own, a beforeAll that fails (in a describe and at file level), a
 * skipped and a todo test. The totals must be the truth, not what the files claim.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
let dir: string;
let out: string;

const STALE = JSON.stringify({ passed: 999, failed: 0, skipped: 0, todo: 0, pending: 0, setupFailed: [], errors: [] });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "runner-test-"));
  out = join(dir, "reports");
  mkdirSync(out);
  const good = join(dir, "good");
  mkdirSync(good);
  writeFileSync(join(good, "vitest.config.mjs"), 'export default { test: { include: ["*.test.ts"] } };\n');
  writeFileSync(join(good, "a.test.ts"), [
    'import { beforeAll, describe, expect, it } from "vitest";',
    'it("passes", () => expect(1).toBe(1));',
    'it("passes too", () => expect(2).toBe(2));',
    'it.skip("is skipped on purpose", () => {});',
    'it.todo("is still to write");',
    'describe("a suite whose setup breaks", () => {',
    '  beforeAll(() => { throw new Error("setup broke"); });',
    '  it("never runs (one)", () => {});',
    '  it("never runs (two)", () => {});',
    "});",
  ].join("\n"));
  writeFileSync(join(good, "b.test.ts"), [
    'import { beforeAll, it } from "vitest";',
    'beforeAll(() => { throw new Error("file setup broke"); });',
    'it("never runs (three)", () => {});',
  ].join("\n"));
  // A suite that dies before vitest writes anything: its config throws on load.
  const broken = join(dir, "broken");
  mkdirSync(broken);
  writeFileSync(join(broken, "vitest.config.mjs"), 'throw new Error("config broke");\n');
  // Stale reports from "an earlier run", where this run's reports go.
  writeFileSync(join(out, "planted.counts.json"), STALE);
  writeFileSync(join(out, "broken.counts.json"), STALE);
  writeFileSync(join(dir, "plan.json"), JSON.stringify([
    { name: "planted", dir: good, config: join(good, "vitest.config.mjs") },
    { name: "broken", dir: broken, config: join(broken, "vitest.config.mjs") },
  ]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runPlan(): { code: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "ops", "bin", "test.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, TICKFLOW_TEST_PLAN: join(dir, "plan.json"), TICKFLOW_TEST_OUT: out },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout };
}

describe("npm test's runner", () => {
  it("counts this run only: tests behind a failed setup as failed, a suite without a report as failed, skips and todos apart", () => {
    const { code, stdout } = runPlan();
    const lines = stdout.trim().split("\n");
    // 2 passed; 3 failed behind broken setups + 1 for the suite that wrote no report; 1 skipped + 1 todo.
    expect(lines.at(-1)).toBe("2 passed, 4 failed, 2 skipped");
    expect(stdout).toMatch(/^planted: 2 passed, 3 failed, 1 skipped, 1 todo, 0 pending/m);
    expect(stdout).toContain("failed (its setup failed): a.test.ts > a suite whose setup breaks > never runs (one)");
    expect(stdout).toContain("failed (its setup failed): b.test.ts > never runs (three)");
    expect(stdout).toMatch(/^broken: 0 passed, 1 failed, 0 skipped/m);
    expect(stdout).toContain("FAILED: the suite wrote no report");
    expect(stdout).not.toContain("999");
    expect(code).toBe(1);
  });
});
