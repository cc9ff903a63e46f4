/**
 * Freshness: how old the newest input and output of an actor are, and whether that is
 * too old. "Running" is not "live": an actor whose upstream froze is still running,
 * so every data actor keeps one of these and reports it in its status as
 * `extra.freshness` (schema {@link FreshnessReport} in host-protocol.ts). The host turns
 * the reports into `tickflow_data_age_seconds` and `tickflow_actor_stale`; `ops status`
 * prints a stale actor as stale.
 *
 * Keys are `in`, `out`, or `in:<source>` / `out:<what>` (a venue, a computation). A key
 * is *expected* (it has a limit and can go stale) only while the actor should see data
 * there, e.g. a shard's venue while it owns products of it; other keys only report age.
 *
 * Web-standard code with an injected clock (runs on Deno too, tested with a fake clock).
 */
import type { Clock } from "./runtime/mod.ts";
import type { FreshnessReport } from "../lib/contracts/host-protocol.ts";

interface Entry {
  /** Time of the newest mark; undefined while nothing arrived yet. */
  last: number | undefined;
  /** When tracking (or the current expectation) began: the age of a key never marked. */
  since: number;
  /** Stale when older than this; undefined = report age only. */
  limitMs: number | undefined;
}

export class Freshness {
  readonly #e = new Map<string, Entry>();
  readonly #extra: Record<string, unknown> = {};

  /**
   * @param stage what the actor is in the pipeline ("shard", "coalescer", ...): the
   *   `stage` label of its metrics.
   * @param staleAfterMs the default limit of {@link expect}; must be > 0.
   */
  constructor(readonly stage: string, readonly clock: Clock, readonly staleAfterMs: number) {
    if (!(staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be > 0, got ${staleAfterMs}`);
  }

  /** Something arrived (in) or left (out) under `key` now. Cheap: one map lookup. */
  mark(key: string, at = this.clock.now()): void {
    const e = this.#e.get(key);
    if (e) e.last = at;
    else this.#e.set(key, { last: at, since: at, limitMs: undefined });
  }

  /**
   * From now on `key` should see data at least every `limitMs` (default staleAfterMs).
   * A key that was not expected before starts its clock now, so an actor that just took
   * over work gets a full period before it counts as stale.
   */
  expect(key: string, limitMs = this.staleAfterMs): void {
    const now = this.clock.now();
    const e = this.#e.get(key);
    if (!e) this.#e.set(key, { last: undefined, since: now, limitMs });
    else {
      if (e.limitMs === undefined) e.since = now;
      e.limitMs = limitMs;
    }
  }

  /** `key` no longer needs data (work moved away); its age is still reported. */
  unexpect(key: string): void {
    const e = this.#e.get(key);
    if (e) e.limitMs = undefined;
  }

  /** Expect exactly the keys in `keys` among those starting with `prefix`. */
  expectOnly(prefix: string, keys: Iterable<string>, limitMs = this.staleAfterMs): void {
    const want = new Set(keys);
    for (const [k, e] of this.#e) if (k.startsWith(prefix) && !want.has(k) && e.limitMs !== undefined) e.limitMs = undefined;
    for (const k of want) this.expect(k, limitMs);
  }

  /** Drop a key entirely. */
  forget(key: string): void {
    this.#e.delete(key);
  }

  /** Age in ms of the newest mark under `key` (or since tracking began); undefined if unknown. */
  ageMs(key: string): number | undefined {
    const e = this.#e.get(key);
    return e ? this.clock.now() - (e.last ?? e.since) : undefined;
  }

  /** Extra facts shown with the report (lag, stale products); replaces the value under `name`. */
  detail(name: string, value: unknown): void {
    if (value === undefined) delete this.#extra[name];
    else this.#extra[name] = value;
  }

  /**
   * The report for the status row. `extraStale` adds reasons found by the actor itself
   * (e.g. archiver lag over its limit).
   */
  report(extraStale: string[] = []): FreshnessReport {
    const now = this.clock.now();
    const ages: Record<string, number> = {};
    const waiting: string[] = [];
    const reasons = [...extraStale];
    for (const [k, e] of this.#e) {
      const age = now - (e.last ?? e.since);
      ages[k] = Math.round(age);
      if (e.last === undefined) waiting.push(k);
      if (e.limitMs !== undefined && age > e.limitMs) {
        reasons.push(`${k} ${e.last === undefined ? "nothing yet" : "no data"} for ${Math.round(age / 1000)} s (limit ${Math.round(e.limitMs / 1000)} s)`);
      }
    }
    return {
      stage: this.stage,
      staleAfterMs: this.staleAfterMs,
      stale: reasons.length > 0,
      ...(reasons.length ? { reasons } : {}),
      ages,
      ...(waiting.length ? { waiting } : {}),
      ...this.#extra,
    };
  }
}
