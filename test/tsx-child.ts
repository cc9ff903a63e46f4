/**
 * The one way tests and benchmarks start a TypeScript entry point as a child process:
 * `node [nodeArgs] --import tsx <entry> [args]`, from the repository root, with `env`
 * over the parent's environment (a variable set to undefined is left out).
 *
 *   const sim = spawnTsx("sim/main.ts", { env: { SIM_PORT: "0" } });
 *   sim.stdout.on("data", …);
 *
 * One process per child (not the `node_modules/.bin/tsx` wrapper, which forks a second
 * one), so a signal sent to the child reaches the code under test.
 */
import { type ChildProcess, type ChildProcessByStdio, spawn, spawnSync, type SpawnSyncReturns, type StdioOptions } from "node:child_process";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";

/** The repository root: the default working directory, and what relative entries are resolved against. */
export const ROOT = join(import.meta.dirname, "..");

export interface TsxChildOptions {
  /** Arguments after the entry. */
  args?: string[];
  /** Over the parent's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Node flags before `--import tsx` (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Default: stdin ignored, stdout and stderr piped. */
  stdio?: StdioOptions;
  /** Default: the repository root. */
  cwd?: string;
  /** Own process group (kill it with process.kill(-pid)). */
  detached?: boolean;
}

/** `node --import tsx <entry>`: `entry` is relative to the repository root or absolute. */
export function spawnTsx(entry: string, o?: TsxChildOptions & { stdio?: undefined }): ChildProcessByStdio<null, Readable, Readable>;
export function spawnTsx(entry: string, o: TsxChildOptions): ChildProcess;
export function spawnTsx(entry: string, o: TsxChildOptions = {}): ChildProcess {
  return spawn(process.execPath, argv(entry, o), { cwd: o.cwd ?? ROOT, env: envOf(o), stdio: o.stdio ?? ["ignore", "pipe", "pipe"], detached: o.detached ?? false });
}

/** The same child run to its end; its output as text. */
export function spawnTsxSync(entry: string, o: Omit<TsxChildOptions, "stdio" | "detached"> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, argv(entry, o), { cwd: o.cwd ?? ROOT, env: envOf(o), encoding: "utf8" });
}

const argv = (entry: string, o: TsxChildOptions) => [...(o.nodeArgs ?? []), "--import", "tsx", resolve(ROOT, entry), ...(o.args ?? [])];
const envOf = (o: TsxChildOptions) => ({ ...process.env, ...o.env });
