/**
 * Test helper: runs a k6 script through the project's runner as a child process (the
 * real CLI: `tsx load/runner/main.ts`) and returns its exit code, output and the
 * summary data (via --summary-export).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnTsx } from "../../test/tsx-child.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "load", "runner", "main.ts");

export type RunResult = { code: number; stdout: string; stderr: string; summary: any; dir: string };

export async function runScript(
  script: string,
  o: { env?: Record<string, string>; args?: string[]; timeoutMs?: number; keepDir?: boolean } = {},
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "tf-load-"));
  const summaryFile = join(dir, "summary.json");
  // The scripts read their size from __ENV, which includes the process env.
  const env = { VUS: undefined, DURATION: undefined, ...o.env };
  const child = spawnTsx(MAIN, { args: [script, "--summary-export", summaryFile, ...(o.args ?? [])], env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 45_000);
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  clearTimeout(timer);
  let summary: any;
  try {
    summary = JSON.parse(readFileSync(summaryFile, "utf8"));
  } catch {
    summary = undefined;
  }
  if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
  return { code, stdout, stderr, summary, dir };
}

/** A metric's values from the summary data, or a readable failure. */
export function values(summary: any, name: string): Record<string, number> {
  const m = summary?.metrics?.[name];
  if (!m) throw new Error(`metric ${name} missing from the summary (have: ${Object.keys(summary?.metrics ?? {}).join(", ")})`);
  return m.values;
}
