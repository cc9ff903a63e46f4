/**
 * Child processes of the local stack (`ops up`): start a command (a TypeScript entry
 * through tsx, or nats-server) in its own process group with its output prefixed,
 * restart it with backoff when it exits unexpectedly, and stop everything in tiers on
 * Ctrl-C: each tier gets SIGTERM to its whole group, is waited for, and only then the
 * next one (edge, hosts, simulator, nats-server last), within one deadline.
 *
 * Own process groups matter: Ctrl-C in a terminal signals the whole foreground group,
 * which used to stop nats-server at the same moment as the hosts still flushing to it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Backoff, type BackoffOptions } from "../../actors/runtime/mod.ts";
import { systemClock } from "../../actors/runtime/mod.ts";
import type { Clock, TimerHandle } from "../../actors/runtime/mod.ts";

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string | null>;
}

export interface ProcOptions {
  quiet?: boolean;
  index?: number;
  onLine?: (line: string) => void;
}

const COLORS = [36, 35, 33, 32, 34, 91, 96];

export function startProc(name: string, cmd: string, args: string[], env: Record<string, string | undefined>, opts: ProcOptions = {}): Proc {
  // detached: a process group of its own, so a terminal's Ctrl-C reaches only `ops up`,
  // which then stops the children in order.
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const color = COLORS[(opts.index ?? 0) % COLORS.length];
  const tag = process.stdout.isTTY ? `\x1b[${color}m${name.padEnd(10)}\x1b[0m` : name.padEnd(10);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      opts.onLine?.(line);
      if (!opts.quiet) process.stdout.write(`${tag} ${line}\n`);
    });
  }
  const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  return { name, child, exited };
}

/** A TypeScript entry run through tsx in the current Node. */
export function tsCommand(entry: string): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: ["--import", "tsx", entry] };
}

/** A TypeScript entry run through tsx in the current Node (unsupervised). */
export function startTs(name: string, entry: string, env: Record<string, string | undefined>, opts: ProcOptions = {}): Proc {
  const { cmd, args } = tsCommand(entry);
  return startProc(name, cmd, args, env, opts);
}

export interface ProcSpec {
  name: string;
  cmd: string;
  args: string[];
  env: Record<string, string | undefined>;
  opts?: ProcOptions;
}

export interface SupervisedOptions {
  backoff?: BackoffOptions;
  clock?: Clock;
  /** Told of every unexpected exit, with the delay before the restart. */
  onExit?: (name: string, code: number | string | null, delayMs: number) => void;
  /** Told when the restarted process is running again. */
  onRestart?: (name: string, restarts: number) => void;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** Signal a child's whole process group (it and whatever it spawned). */
function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  if (c.pid === undefined) return;
  try {
    process.kill(-c.pid, sig);
  } catch {
    try {
      c.kill(sig);
    } catch { /* already gone */ }
  }
}

/** One child kept running: restarted with backoff after an unexpected exit until stopped. */
export class Supervised {
  restarts = 0;
  #proc: Proc;
  #timer: TimerHandle | undefined;
  #stopping = false;
  readonly #backoff: Backoff;
  readonly #clock: Clock;

  constructor(readonly spec: ProcSpec, private readonly o: SupervisedOptions = {}) {
    this.#clock = o.clock ?? systemClock;
    // First restart after 500 ms, then doubling up to 10 s; quiet for 60 s starts over.
    this.#backoff = new Backoff({ baseMs: 500, maxMs: 10_000, resetAfterMs: 60_000, ...o.backoff });
    this.#proc = this.#spawn();
  }

  get name(): string {
    return this.spec.name;
  }

  /** The current child process (replaced on every restart). */
  get proc(): Proc {
    return this.#proc;
  }

  get running(): boolean {
    return alive(this.#proc.child);
  }

  #spawn(): Proc {
    const s = this.spec;
    const p = startProc(s.name, s.cmd, s.args, s.env, s.opts);
    void p.exited.then((code) => {
      if (this.#stopping || p !== this.#proc) return;
      const delay = this.#backoff.next(this.#clock.now());
      this.o.onExit?.(s.name, code, delay);
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        if (this.#stopping) return;
        this.restarts++;
        this.#proc = this.#spawn();
        this.o.onRestart?.(s.name, this.restarts);
      }, delay);
    });
    return p;
  }

  /** SIGTERM the process group and wait; SIGKILL it at `deadlineAt` (epoch ms). No restart after this. */
  async stop(deadlineAt: number): Promise<"stopped" | "killed"> {
    this.#stopping = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const p = this.#proc;
    if (!alive(p.child)) return "stopped";
    killGroup(p.child, "SIGTERM");
    let t: TimerHandle | undefined;
    const left = Math.max(0, deadlineAt - this.#clock.now());
    const timedOut = await Promise.race([
      p.exited.then(() => false),
      new Promise<boolean>((r) => (t = this.#clock.setTimeout(() => r(true), left))),
    ]);
    if (t !== undefined) this.#clock.clearTimeout(t);
    if (!timedOut) return "stopped";
    killGroup(p.child, "SIGKILL");
    await p.exited;
    return "killed";
  }
}

/**
 * Stop tier after tier (each tier's members in parallel), all within `deadlineMs`;
 * every tier but the last must be done `reserveMs` per later tier before the overall
 * deadline, so a slow host cannot eat the simulator's and nats-server's own clean stop.
 * Returns the names that had to be killed.
 */
export async function stopTiers(tiers: Supervised[][], deadlineMs = 9000, clock: Clock = systemClock, reserveMs = 750): Promise<string[]> {
  const end = clock.now() + deadlineMs;
  const killed: string[] = [];
  for (const [i, tier] of tiers.entries()) {
    const deadline = end - reserveMs * (tiers.length - 1 - i);
    const r = await Promise.all(tier.map((s) => s.stop(deadline)));
    r.forEach((x, j) => x === "killed" && killed.push(tier[j]!.name));
  }
  return killed;
}

/** SIGTERM in reverse start order, each waited for; SIGKILL whatever is left at the deadline. */
export async function stopAll(procs: Proc[], deadlineMs = 9000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (const p of [...procs].reverse()) {
    if (!alive(p.child)) continue;
    killGroup(p.child, "SIGTERM");
    const left = Math.max(0, deadline - Date.now());
    const timedOut = await Promise.race([p.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), left))]);
    if (timedOut) killGroup(p.child, "SIGKILL");
  }
}
