/**
 * A token bucket on an injected clock: `ratePerSec` tokens refill continuously up to
 * `burst`. The shard takes one token per subscribe/unsubscribe message it sends, so
 * all its upstream connections together stay under the venue's per-IP message limit
 * (Coinbase: 8 unauthenticated messages per second).
 */
import type { Clock } from "../runtime/mod.ts";

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** Throws a RangeError unless rate > 0 and burst >= 1. */
  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${ratePerSec}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
      this.last = now;
    }
  }

  /** Take `n` tokens if they are there; returns whether it did. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.tokens + 1e-9 < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now). */
  msUntil(n = 1): number {
    this.refill();
    const missing = n - this.tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }

  available(): number {
    this.refill();
    return this.tokens;
  }
}
