/**
 * A vitest reporter for `npm test` (ops/bin/test.mjs): writes the counts of one run to
 * the file named by TICKFLOW_COUNTS_FILE. Vitest's own JSON report cannot tell a test
 * skipped on purpose from one that never ran because its suite's beforeAll failed (both
 * are "skipped", and the failed hook leaves numFailedTests at 0); the task tree can:
 * a test in "run" mode that did not run under a suite or module with errors counts as
 * failed here. Files that failed to load and unhandled errors count as one failure each.
 */
import { writeFileSync } from "node:fs";
import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";

export interface SuiteCounts {
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  /** Tests still pending when the run ended (it was interrupted). */
  pending: number;
  /** Full names of tests counted failed because a setup hook of theirs failed. */
  setupFailed: string[];
  /** Modules that failed to load, unhandled errors. */
  errors: string[];
}

/** True when `t`'s suite, any suite above it or its module reported an error (a failed beforeAll/afterAll). */
function setupBroke(t: TestCase): boolean {
  for (let p: TestSuite | TestModule = t.parent; ; p = (p as TestSuite).parent) {
    if (p.errors().length > 0) return true;
    if (p.type === "module") return false;
  }
}

export function countModules(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>): SuiteCounts {
  const c: SuiteCounts = { passed: 0, failed: 0, skipped: 0, todo: 0, pending: 0, setupFailed: [], errors: [] };
  for (const m of modules) {
    let tests = 0;
    for (const t of m.children.allTests()) {
      tests++;
      const state = t.result().state;
      if (state === "passed") c.passed++;
      else if (state === "failed") c.failed++;
      else if (t.options.mode === "todo") c.todo++;
      else if (t.options.mode === "skip") c.skipped++;
      else if (setupBroke(t)) {
        c.failed++;
        c.setupFailed.push(`${m.relativeModuleId} > ${t.fullName}`);
      } else if (state === "pending") c.pending++;
      else c.skipped++; // skipped at run time (ctx.skip()) or filtered out
    }
    if (tests === 0 && m.errors().length > 0) {
      c.failed++;
      c.errors.push(`${m.relativeModuleId}: ${m.errors()[0]?.message ?? "failed to load"}`);
    }
  }
  for (const e of unhandled) {
    c.failed++;
    c.errors.push(`unhandled error: ${e.message ?? String(e)}`);
  }
  return c;
}

export default class CountsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>): void {
    const file = process.env.TICKFLOW_COUNTS_FILE;
    if (file) writeFileSync(file, JSON.stringify(countModules(modules, unhandled), null, 1));
  }
}
