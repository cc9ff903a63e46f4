/**
 * Per-connection and per-address limits: the token bucket for client frames (lib/platform), a decaying
 * strike counter for bad frames, connection counts per remote address, and the Origin
 * check. Pure logic driven by an injected clock (ms), so tests need no sleeping.
 */

export { TokenBucket } from "../../lib/platform/token-bucket.ts";

/**
 * Strikes for bad frames, leaking one per second: a client that errs now and then is
 * fine, one that keeps sending garbage passes `max` and is closed.
 */
export class Strikes {
  private level = 0;
  private last = 0;
  constructor(private readonly max: number) {}
  /** Add a strike; true when the limit is exceeded. */
  add(now: number): boolean {
    this.level = Math.max(0, this.level - (now - this.last) / 1000) + 1;
    this.last = now;
    return this.level > this.max;
  }
}

/**
 * Counts open connections per client address against a cap. {@link AddressCounts} is
 * one process's count; with several worker processes the primary keeps one count for
 * the host (edge/address-share.ts), so the cap means the same with 1 or N workers.
 */
export interface AddressLimiter {
  /** Count a new connection; false (and nothing counted) when the address is at its cap. Rejects when the count cannot be reached. */
  acquire(ip: string): boolean | Promise<boolean>;
  release(ip: string): void;
}

/** Open connections per remote address (one process's view). */
export class AddressCounts implements AddressLimiter {
  private readonly counts = new Map<string, number>();
  constructor(private readonly max: number) {}
  /** Count a new connection; false (and nothing counted) when the address is at its cap. */
  acquire(ip: string): boolean {
    const n = this.counts.get(ip) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(ip, n + 1);
    return true;
  }
  release(ip: string): void {
    const n = this.counts.get(ip) ?? 0;
    if (n <= 1) this.counts.delete(ip);
    else this.counts.set(ip, n - 1);
  }
  get addresses(): number {
    return this.counts.size;
  }
}

/**
 * Whether a WebSocket upgrade from `origin` may proceed.
 * - no Origin header (not a browser): allowed;
 * - `allowed` contains "*": any origin;
 * - `allowed` empty: only the page's own host (Origin host equals the Host header);
 * - otherwise the Origin must be listed exactly (scheme://host[:port]).
 */
export function originAllowed(origin: string, host: string, allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (allowed.includes("*")) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
