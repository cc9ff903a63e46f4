/**
 * The one token bucket of Tickflow: `ratePerSec` tokens refill continuously up to
 * `burst`; it starts full. Ingest takes one per upstream subscribe message (venue
 * per-IP limits), the edge one per client frame and per history request.
 *
 * Time comes from a clock (`{ now(): number }`, e.g. the runtime's Clock), or, on hot
 * paths that already hold the time, from the caller: construct with the start time in
 * ms and pass `now` to every call.
 */

export interface TimeSource {
  now(): number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly clock: TimeSource | undefined;

  /** Throws a RangeError unless ratePerSec > 0 and burst >= 1. */
  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    clockOrStart: TimeSource | number,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${ratePerSec}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.clock = typeof clockOrStart === "number" ? undefined : clockOrStart;
    this.tokens = burst;
    this.last = typeof clockOrStart === "number" ? clockOrStart : clockOrStart.now();
  }

  private refill(now: number | undefined): void {
    const t = now ?? this.clock?.now() ?? this.last;
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
      this.last = t;
    }
  }

  /** Take `n` tokens if they are there; returns whether it did. */
  tryTake(n = 1, now?: number): boolean {
    this.refill(now);
    if (this.tokens + 1e-9 < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Take one token at time `now` (default: the clock's); false when the bucket is empty. */
  take(now?: number): boolean {
    return this.tryTake(1, now);
  }

  /** Milliseconds until `n` tokens are available (0 if they are now). */
  msUntil(n = 1, now?: number): number {
    this.refill(now);
    const missing = n - this.tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }

  available(now?: number): number {
    this.refill(now);
    return this.tokens;
  }
}
