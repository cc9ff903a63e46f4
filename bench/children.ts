/**
 * Runs one benchmark script as a child process with a time limit, for bench/all.ts.
 *
 * The child gets its own process group (it starts servers and client workers of its
 * own), so a timeout or a Ctrl-C ends the whole group: SIGTERM first (the benchmarks
 * clean up on it), SIGKILL after a grace period. Output is passed through and its tail
 * kept for the report.
 */
import type { ChildProcess } from "node:child_process";
import { spawnTsx } from "../test/tsx-child.ts";

export interface StepResult {
  /** "ok", "failed" (non-zero exit), "timeout", or "error" (could not start). */
  status: "ok" | "failed" | "timeout" | "error";
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  /** Last lines of stdout + stderr. */
  tail: string[];
  /** Whole stdout (for results printed by the child). */
  stdout: string;
}

export interface StepOptions {
  script: string;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs: number;
  /** Grace between SIGTERM and SIGKILL on timeout (default 15 s). */
  graceMs?: number;
}

let current: ChildProcess | undefined;

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  if (p.pid === undefined) return;
  try {
    process.kill(-p.pid, signal); // the child's own group: it and what it started
  } catch {
    try {
      p.kill(signal);
    } catch { /* already gone */ }
  }
}

/** Stop the running step (SIGTERM to its group, SIGKILL after `graceMs`); for the runner's own signal handlers. */
export async function stopCurrent(graceMs = 10_000): Promise<void> {
  const p = current;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once("exit", r));
  killGroup(p, "SIGTERM");
  const t = setTimeout(() => killGroup(p, "SIGKILL"), graceMs);
  await gone;
  clearTimeout(t);
}

/** `node --import tsx <script> <args>` from the repository root; never throws. */
export async function runStep(o: StepOptions): Promise<StepResult> {
  const t0 = Date.now();
  let stdout = "";
  let tailBuf = "";
  const keep = (d: Buffer, to: NodeJS.WriteStream) => {
    to.write(d);
    tailBuf = (tailBuf + d.toString()).slice(-8000);
  };
  return await new Promise<StepResult>((resolve) => {
    let timedOut = false;
    let p: ChildProcess;
    try {
      p = spawnTsx(o.script, { args: o.args, env: o.env, detached: true });
    } catch (e) {
      resolve({ status: "error", code: null, signal: null, seconds: 0, tail: [String(e)], stdout: "" });
      return;
    }
    current = p;
    p.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      keep(d, process.stdout);
    });
    p.stderr!.on("data", (d: Buffer) => keep(d, process.stderr));
    let kill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`\n${o.script}: no result after ${Math.round(o.timeoutMs / 1000)} s, stopping it\n`);
      killGroup(p, "SIGTERM");
      kill = setTimeout(() => killGroup(p, "SIGKILL"), o.graceMs ?? 15_000);
    }, o.timeoutMs);
    p.once("error", (e) => {
      clearTimeout(timer);
      resolve({ status: "error", code: null, signal: null, seconds: (Date.now() - t0) / 1000, tail: [e.message], stdout });
    });
    p.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(kill);
      // Anything the child left behind in its group (a server it forgot) goes too.
      killGroup(p, "SIGKILL");
      if (current === p) current = undefined;
      const tail = tailBuf.split("\n").map((l) => l.trimEnd()).filter(Boolean).slice(-12);
      const status = timedOut ? "timeout" : code === 0 ? "ok" : "failed";
      resolve({ status, code, signal, seconds: (Date.now() - t0) / 1000, tail, stdout });
    });
  });
}
