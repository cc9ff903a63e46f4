/**
 * Chaos-test helpers: real child processes (a TypeScript entry run with
 * `node --import tsx`), waiting for a log line, a port or a condition, kill -9, and
 * clean-up that always runs (afterAll, and a process `exit` hook as a last resort).
 *
 *   const procs = new Procs();
 *   const host = procs.spawnTs("host-a", "actors/main.ts", { NATS_URL, HOST_ID: "a" });
 *   await host.waitFor("ready with actors");
 *   await host.kill9();
 *   afterAll(() => procs.cleanup());
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnTsx } from "../tsx-child.ts";

export { ROOT } from "../tsx-child.ts";

export class ProcExitedError extends Error {
  override name = "ProcExitedError";
}
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

export interface Exit {
  code: number | null;
  signal: string | null;
}

/** One child process: its output (stdout + stderr, last 200 KB), waits and signals. */
export class Proc {
  private out = "";
  private watchers: Array<() => void> = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  constructor(readonly name: string, readonly child: ChildProcess) {
    const onData = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-200_000);
      this.wake();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      })
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  output(): string {
    return this.out;
  }

  /** The last `n` characters of output, for error messages. */
  tail(n = 2500): string {
    return this.out.slice(-n);
  }

  private wake(): void {
    for (const w of this.watchers.slice()) w();
  }

  /** Resolves when the output contains `text` (or matches it); rejects if the process exits first or after timeoutMs. */
  waitFor(text: string | RegExp, timeoutMs = 30_000, from = 0): Promise<void> {
    const has = () => (typeof text === "string" ? this.out.includes(text, from) : text.test(this.out.slice(from)));
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.watchers.splice(this.watchers.indexOf(check), 1);
        err ? reject(err) : resolve();
      };
      const timer = setTimeout(
        () => done(new WaitTimeoutError(`${this.name}: no ${String(text)} after ${timeoutMs} ms:\n${this.tail()}`)),
        timeoutMs,
      );
      const check = () => {
        if (has()) done();
        else if (this.exit) done(new ProcExitedError(`${this.name} exited (${JSON.stringify(this.exit)}) before ${String(text)}:\n${this.tail()}`));
      };
      this.watchers.push(check);
      check();
    });
  }

  /** SIGKILL (no clean-up in the child, like a crash); resolves when it is gone. */
  async kill9(): Promise<Exit> {
    if (this.running) this.child.kill("SIGKILL");
    return await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exit!;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const e = await this.exited;
    clearTimeout(timer);
    return e;
  }
}

const live = new Set<Proc>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // If the test process dies without afterAll, leave no child behind.
  process.once("exit", () => {
    for (const p of live) if (p.running) p.child.kill("SIGKILL");
  });
}

/** The child processes of one test file; `cleanup()` kills whatever is still running. */
export class Procs {
  readonly all: Proc[] = [];

  /** `node --import tsx <entry> ...args` from the repository root, with `env` over the test's environment. */
  spawnTs(name: string, entry: string, env: Record<string, string>, args: string[] = []): Proc {
    hookExit();
    const child = spawnTsx(entry, {
      args,
      env: { LOG_LEVEL: "info", FORCE_COLOR: "0", NO_COLOR: "1", ...env },
    });
    const p = new Proc(name, child);
    this.all.push(p);
    live.add(p);
    void p.exited.then(() => live.delete(p));
    return p;
  }

  /** SIGKILL every child still running and wait for each. With CHAOS_LOG_DIR set, each child's output is saved there. */
  async cleanup(): Promise<void> {
    await Promise.all(this.all.map((p) => p.kill9()));
    const dir = process.env.CHAOS_LOG_DIR;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      for (const p of this.all) writeFileSync(join(dir, `${p.name}-${p.pid}.log`), p.output());
    }
  }
}

/** Polls `cond` every `everyMs` until it returns something other than undefined/false. */
export async function waitUntil<T>(
  what: string,
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** HTTP status of GET url (0 when nothing answers), with a short timeout. */
export async function httpStatus(url: string, timeoutMs = 1500): Promise<number> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

/** Seconds with one decimal, for the report lines. */
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One report line per measurement: `chaos: <what> → <numbers>`. */
export function report(line: string): void {
  console.log(`chaos: ${line}`);
}
