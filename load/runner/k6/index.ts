/**
 * `k6`: check, group, sleep, fail, randomSeed.
 *
 * sleep() blocks the whole runner process (all its VUs), unlike in k6 where it blocks
 * one VU; the project's scripts therefore wait with k6/timers instead.
 */
import { registry } from "../registry.ts";
import { currentCtx } from "../vu.ts";

registry.define("checks", "rate");

export function check<T>(val: T, sets: Record<string, (v: T) => boolean>, tags?: Record<string, string>): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = Boolean(typeof fn === "function" ? fn(val) : fn);
    registry.add("checks", ok ? 1 : 0, { ...tags, check: name });
    registry.addCheck(name, ok);
    if (!ok) all = false;
  }
  return all;
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

let warned = false;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleep(seconds: number): void {
  if (!warned && currentCtx()) {
    warned = true;
    process.stderr.write("WARN: sleep() blocks every VU of this runner process; prefer k6/timers in scripts meant for the runner\n");
  }
  Atomics.wait(sleeper, 0, 0, Math.max(0, seconds * 1000));
}

export function fail(err?: string): never {
  throw new Error(err ?? "fail() called");
}

/** Accepted for compatibility; Math.random cannot be seeded per VU in a shared process. */
export function randomSeed(_seed: number): void {}

export default { check, group, sleep, fail, randomSeed };
