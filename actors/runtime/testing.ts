/**
 * describe/it/expect for tests that run under both vitest (Node) and `deno test`.
 * Under Node this is vitest itself. vitest's runner cannot run inside Deno (its
 * `describe` needs a vitest worker), so there `it` registers a `Deno.test` and `expect`
 * is a small matcher set. Tests use only the matchers typed below, so both runtimes
 * check the same assertions; add a matcher here (both sides) when a test needs one.
 */

type TestFn = () => void | Promise<void>;
// deno-lint-ignore no-explicit-any
type Ctor = abstract new (...args: any[]) => unknown;

export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeInstanceOf(ctor: Ctor): void;
  toContain(item: unknown): void;
  toHaveLength(n: number): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toMatch(pattern: RegExp | string): void;
  /** For a function: it throws (an error whose message contains / matches `expected`, or an instance of it). */
  toThrow(expected?: string | RegExp | Ctor): void;
}

export interface Expectation extends Matchers {
  readonly not: Matchers;
}

interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: TestFn): void;
  expect(actual: unknown): Expectation;
}

type DenoTest = { test(name: string, fn: TestFn): void };
const deno = (globalThis as unknown as { Deno?: DenoTest }).Deno;

// A computed specifier keeps Deno from loading vitest at all; vitest resolves it as usual.
const vitestModule = "vitest";
const api: TestApi = deno ? denoApi(deno) : ((await import(vitestModule)) as TestApi);

export const describe: TestApi["describe"] = api.describe;
export const it: TestApi["it"] = api.it;
export const expect: TestApi["expect"] = api.expect;

function denoApi(d: DenoTest): TestApi {
  const suites: string[] = [];
  return {
    describe(name, fn) {
      suites.push(name);
      try {
        fn();
      } finally {
        suites.pop();
      }
    },
    it(name, fn) {
      d.test([...suites, name].join(" > "), fn);
    },
    expect: (actual) => Object.assign(matchers(actual, false), { not: matchers(actual, true) }),
  };
}

function matchers(actual: unknown, negated: boolean): Matchers {
  const check = (pass: boolean, what: string) => {
    if (pass === negated) throw new Error(`expected ${show(actual)} ${negated ? "not " : ""}${what}`);
  };
  const num = (n: unknown) => {
    if (typeof n !== "number") throw new TypeError(`expected a number, got ${show(n)}`);
    return n;
  };
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(equal(actual, e), `to equal ${show(e)}`),
    toBeGreaterThan: (n) => check(num(actual) > n, `to be > ${n}`),
    toBeGreaterThanOrEqual: (n) => check(num(actual) >= n, `to be >= ${n}`),
    toBeLessThan: (n) => check(num(actual) < n, `to be < ${n}`),
    toBeLessThanOrEqual: (n) => check(num(actual) <= n, `to be <= ${n}`),
    toBeInstanceOf: (c) => check(actual instanceof c, `to be an instance of ${c.name}`),
    toContain: (item) => check(typeof actual === "string" ? actual.includes(String(item)) : Array.isArray(actual) && actual.includes(item), `to contain ${show(item)}`),
    toHaveLength: (n) => check((actual as { length?: unknown })?.length === n, `to have length ${n}`),
    toBeUndefined: () => check(actual === undefined, "to be undefined"),
    toBeDefined: () => check(actual !== undefined, "to be defined"),
    toMatch: (p) => check(typeof actual === "string" && (typeof p === "string" ? actual.includes(p) : p.test(actual)), `to match ${p}`),
    toThrow: (e) => {
      if (typeof actual !== "function") throw new TypeError(`toThrow expects a function, got ${show(actual)}`);
      let thrown: { error: unknown } | undefined;
      try {
        actual();
      } catch (error) {
        thrown = { error };
      }
      check(thrown !== undefined && throwMatches(thrown.error, e), `to throw${e === undefined ? "" : ` ${show(e)}`}`);
    },
  };
}

function throwMatches(error: unknown, expected: string | RegExp | Ctor | undefined): boolean {
  if (expected === undefined) return true;
  if (typeof expected === "function") return error instanceof expected;
  const message = error instanceof Error ? error.message : String(error);
  return typeof expected === "string" ? message.includes(expected) : expected.test(message);
}

/** Structural equality like vitest's toEqual: undefined-valued keys are ignored. */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = (o: object) => Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  const ka = keys(a);
  const kb = keys(b);
  return ka.length === kb.length && ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function show(v: unknown): string {
  if (typeof v === "function") return v.name ? `[${v.name}]` : "[function]";
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
