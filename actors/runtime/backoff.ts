/**
 * Exponential backoff with jitter for restarts: base * 2^attempt, capped, minus a random
 * share of up to `jitter`, so a fleet of hosts restarting together spreads out. The
 * attempt count resets after a quiet period without failures.
 */

export interface BackoffOptions {
  /** Delay of the first attempt. Default 100 ms. */
  baseMs?: number;
  /** Upper bound of any delay. Default 30000 ms. */
  maxMs?: number;
  /** A failure this long after the previous one starts again from `baseMs`. Default 60000 ms. */
  resetAfterMs?: number;
  /** Share of the delay that is randomised, 0..1. Default 0.2. */
  jitter?: number;
  /** Source of randomness in [0, 1). Default Math.random; inject for deterministic tests. */
  random?: () => number;
}

type Resolved = Required<BackoffOptions>;

/** Fill in defaults and validate; throws RangeError on a bad value. */
export function backoffOptions(opts: BackoffOptions = {}): Resolved {
  const o: Resolved = {
    baseMs: opts.baseMs ?? 100,
    maxMs: opts.maxMs ?? 30_000,
    resetAfterMs: opts.resetAfterMs ?? 60_000,
    jitter: opts.jitter ?? 0.2,
    random: opts.random ?? Math.random,
  };
  for (const key of ["baseMs", "maxMs", "resetAfterMs"] as const) {
    if (!(o[key] >= 0)) throw new RangeError(`backoff.${key}: expected a number >= 0, got ${o[key]}`);
  }
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError(`backoff.jitter: expected 0..1, got ${o.jitter}`);
  return o;
}

/** The delay before attempt number `attempt` (0-based). Pure, given `random`. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const o = backoffOptions(opts);
  // Cap the exponent: beyond 2^30 every realistic delay is at the cap anyway, and it
  // keeps 0 * Infinity (NaN) out when baseMs is 0.
  const raw = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(raw * (1 - o.jitter * o.random()));
}

/** Stateful backoff for one child: `next(now)` returns the delay before the next restart. */
export class Backoff {
  readonly #opts: Resolved;
  #attempt = 0;
  #lastFailureAt: number | undefined;

  constructor(opts: BackoffOptions = {}) {
    this.#opts = backoffOptions(opts);
  }

  /** Attempts counted since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Record a failure at `now` and return how long to wait before retrying. */
  next(now: number): number {
    if (this.#lastFailureAt !== undefined && now - this.#lastFailureAt >= this.#opts.resetAfterMs) this.#attempt = 0;
    this.#lastFailureAt = now;
    return backoffDelay(this.#attempt++, this.#opts);
  }

  reset(): void {
    this.#attempt = 0;
    this.#lastFailureAt = undefined;
  }
}
