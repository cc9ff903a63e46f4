// The counting half of `npm test` (ops/bin/test.mjs): runs one suite, reads the
// report that run wrote, and keeps the totals. Plain JavaScript (runs before any
// dependency is known to be installed). Counting rules, each a way a runner can lie:
//   - a suite's old report is deleted before it runs, so a report is only ever this run's;
//   - a suite that wrote no report fails as such (1 failure), whatever it printed;
//   - a non-zero exit with no failed test counted is 1 failure (unhandled error, crash);
//   - tests that never ran because their beforeAll failed count as failed (the vitest
//     reporter ops/bin/counts-reporter.ts tells them from tests skipped on purpose);
//   - skipped, todo and pending are counted and printed per suite, and the last line
//     is "N passed, N failed, N skipped" (skipped = skipped + todo + pending).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const HERE = import.meta.dirname;

export class Tally {
  passed = 0;
  failed = 0;
  skipped = 0;
  lines = [];

  /** Add one suite's counts ({passed, failed, skipped, todo, pending}) and its summary line. */
  add(name, c, secs, notes = []) {
    this.passed += c.passed;
    this.failed += c.failed;
    this.skipped += (c.skipped ?? 0) + (c.todo ?? 0) + (c.pending ?? 0);
    const parts = [`${c.passed} passed`, `${c.failed} failed`, `${c.skipped ?? 0} skipped`];
    if (c.todo !== undefined) parts.push(`${c.todo} todo`);
    if (c.pending !== undefined) parts.push(`${c.pending} pending`);
    this.lines.push(`${name}: ${parts.join(", ")} (${secs}s)${notes.length ? `\n  ${notes.join("\n  ")}` : ""}`);
  }

  /** A check that counts as one test (type checks, builds). */
  check(name, ok, secs) {
    this.add(name, { passed: ok ? 1 : 0, failed: ok ? 0 : 1 }, secs, ok ? [] : ["FAILED"]);
  }

  summary() {
    return `${this.lines.join("\n")}\n${this.passed} passed, ${this.failed} failed, ${this.skipped} skipped`;
  }

  get ok() {
    return this.failed === 0 && this.passed > 0;
  }
}

const secsSince = (t0) => ((Date.now() - t0) / 1000).toFixed(0);

/**
 * Run a vitest suite (vitest from `root`'s node_modules; `dir`: another folder to run
 * it in, default `root`). `node`: the Node binary to run it on (default this one; its
 * directory goes first on PATH so child processes the tests spawn use it too).
 * Returns the counts added to `tally`.
 */
export function runVitest(tally, { name, root, dir, out, config, node = process.execPath, env = {}, args = [] }) {
  const report = join(out, `${name}.counts.json`);
  rmSync(report, { force: true });
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const argv = [vitest, "run", "--reporter=default", `--reporter=${join(HERE, "counts-reporter.ts")}`, ...(dir ? ["--root", dir] : []), ...(config ? ["--config", config] : []), ...args];
  const t0 = Date.now();
  const r = spawnSync(node, argv, {
    cwd: dir ?? root,
    stdio: "inherit",
    env: {
      ...process.env,
      FORCE_COLOR: "0",
      PATH: `${join(node, "..")}:${process.env.PATH ?? ""}`,
      ...env,
      TICKFLOW_COUNTS_FILE: report,
    },
  });
  const code = r.status ?? 1;
  const notes = [];
  let c;
  if (!existsSync(report)) {
    c = { passed: 0, failed: 1, skipped: 0, todo: 0, pending: 0 };
    notes.push(`FAILED: the suite wrote no report (exit ${r.status ?? r.signal}${r.error ? `, ${r.error.message}` : ""})`);
  } else {
    c = JSON.parse(readFileSync(report, "utf8"));
    for (const t of c.setupFailed ?? []) notes.push(`failed (its setup failed): ${t}`);
    for (const e of c.errors ?? []) notes.push(`error: ${e.split("\n")[0]}`);
    if (code !== 0 && c.failed === 0) {
      c.failed = 1;
      notes.push(`FAILED: exit ${code} with no failed test counted`);
    }
  }
  tally.add(name, c, secsSince(t0), notes);
  return c;
}

/** Run a command that counts as one test. */
export function runCheck(tally, name, cmd, args, { root, env = {} } = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, FORCE_COLOR: "0", ...env } });
  tally.check(name, r.status === 0, secsSince(t0));
  return r.status === 0;
}

/** The Deno suite: `deno task check` (one test) and `deno task test`, counted from Deno's summary line. */
export function runDeno(tally, name, { root, deno }) {
  runCheck(tally, `${name}-check`, deno, ["task", "check"], { root });
  const t0 = Date.now();
  const r = spawnSync(deno, ["task", "test"], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  const text = (r.stdout ?? "") + (r.stderr ?? "");
  // e.g. "ok | 12 passed (3 steps) | 0 failed | 1 ignored (2s)"
  const m = /(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/.exec(text);
  const c = { passed: m ? Number(m[1]) : 0, failed: m ? Number(m[2]) : 0, skipped: m?.[3] ? Number(m[3]) : 0 };
  const notes = [];
  if (!m) {
    c.failed = 1;
    notes.push(`FAILED: no Deno summary line (exit ${r.status})`);
  } else if (r.status !== 0 && c.failed === 0) {
    c.failed = 1;
    notes.push(`FAILED: exit ${r.status} with no failed test counted`);
  }
  tally.add(name, c, secsSince(t0), notes);
}
