/**
 * Child processes of the local stack (`ops up`): start a TypeScript entry with tsx,
 * prefix its output, and stop everything in reverse order on Ctrl-C within a deadline.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const COLORS = [36, 35, 33, 32, 34, 91, 96];

export function startProc(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { quiet?: boolean; index?: number; onLine?: (line: string) => void } = {},
): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const color = COLORS[(opts.index ?? 0) % COLORS.length];
  const tag = process.stdout.isTTY ? `\x1b[${color}m${name.padEnd(10)}\x1b[0m` : name.padEnd(10);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      opts.onLine?.(line);
      if (!opts.quiet) process.stdout.write(`${tag} ${line}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, child, exited };
}

/** A TypeScript entry run through tsx in the current Node. */
export function startTs(name: string, entry: string, env: Record<string, string | undefined>, opts: Parameters<typeof startProc>[4] = {}): Proc {
  return startProc(name, process.execPath, ["--import", "tsx", entry], env, opts);
}

/** SIGTERM in reverse start order, each waited for; SIGKILL whatever is left at the deadline. */
export async function stopAll(procs: Proc[], deadlineMs = 9000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (const p of [...procs].reverse()) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    p.child.kill("SIGTERM");
    const left = Math.max(0, deadline - Date.now());
    const timedOut = await Promise.race([p.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), left))]);
    if (timedOut) p.child.kill("SIGKILL");
  }
}
