/**
 * Reconnect delays: exponential from 1 s, doubling, capped at 30 s, each delay shortened
 * by a random share (jitter) so thousands of dashboards that lost the same edge do not
 * come back in lock-step. Tiny and pure so it is testable with fake timers and costs
 * the bundle nothing (cockatiel's backoffs are built for its retry policies).
 */
export interface BackoffOptions {
  /** First delay, ms. Default 1000. */
  initialMs?: number;
  /** Largest delay, ms. Default 30000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Share of the delay that is random, 0..1. Default 0.3 (delay in [0.7·d, d]). */
  jitter?: number;
  /** Random source in [0, 1). Default Math.random. */
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  private readonly random: () => number;
  private attempt = 0;

  /** Throws a RangeError for non-positive delays, max < initial, factor < 1 or jitter outside 0..1. */
  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.3;
    this.random = opts.random ?? Math.random;
    if (!(this.initialMs > 0)) throw new RangeError(`initialMs must be > 0, got ${this.initialMs}`);
    if (!(this.maxMs >= this.initialMs)) throw new RangeError(`maxMs must be >= initialMs, got ${this.maxMs}`);
    if (!(this.factor >= 1)) throw new RangeError(`factor must be >= 1, got ${this.factor}`);
    if (!(this.jitter >= 0 && this.jitter <= 1)) throw new RangeError(`jitter must be in 0..1, got ${this.jitter}`);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, ms; advances the attempt counter. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Back to the first delay (after a connection succeeded). */
  reset(): void {
    this.attempt = 0;
  }
}
