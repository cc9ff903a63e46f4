/**
 * Binance REST request weight, kept by construction
 * (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info#limits):
 *
 * - weight is counted per IP in fixed one-minute windows; every response says how much
 *   of the current window is used (`X-MBX-USED-WEIGHT-1M`), which replaces our own count;
 * - a request is sent only when its weight fits in this shard's share of the limit,
 *   otherwise it waits (queued) for the next window;
 * - after a 429 nothing is sent until `Retry-After` has passed; a 418 is an IP ban
 *   (for ignoring 429s): logged as such, and nothing is sent until its `Retry-After`
 *   (at least `minBanMs`) has passed.
 *
 * Timers use the injected clock.
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../../runtime/mod.ts";

export interface RestBudgetOptions {
  /** Weight this shard may use per minute (its share of the venue's limit, with headroom). */
  weightPerMinute: number;
  clock: Clock;
  /** Back-off after a 418 without a usable Retry-After. */
  minBanMs?: number;
  venue: string;
}

/** A request refused by the venue's rate limit (429) or ban (418); not retried by the caller. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(message: string, readonly status: number, readonly untilTs: number) {
    super(message);
  }
}

export class RestAbortedError extends Error {
  override name = "RestAbortedError";
}

/** Documented request weight of a depth snapshot (Spot GET /api/v3/depth, futures GET /fapi/v1/depth). */
export function depthWeight(market: "spot" | "usdm", limit: number): number {
  if (market === "usdm") return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

export class RestBudget {
  private windowStart = 0;
  private used = 0;
  /** No request before this time (429 Retry-After, 418 ban). */
  blockedUntil = 0;
  bans = 0;
  throttles = 0;
  requests = 0;
  private readonly log = getLogger(["tickflow", "ingest", "rest-budget"]);

  constructor(private readonly o: RestBudgetOptions) {}

  /** Wait until `weight` may be spent now, then spend it. Rejects with RestAbortedError when `signal` aborts. */
  async acquire(weight: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new RestAbortedError("aborted");
      const wait = this.waitMs(weight);
      if (wait <= 0) break;
      await this.sleep(wait, signal);
    }
    this.used += weight;
    this.requests++;
  }

  /** Milliseconds until `weight` may be sent (0: now). */
  waitMs(weight: number): number {
    const now = this.o.clock.now();
    this.roll(now);
    if (now < this.blockedUntil) return this.blockedUntil - now;
    if (this.used + weight <= this.o.weightPerMinute || this.used === 0) return 0;
    return this.windowStart + 60_000 - now;
  }

  /** Read the venue's count and its refusals from a response. Throws RateLimitedError for 429/418. */
  onResponse(res: { status: number; headers: { get(name: string): string | null } }, url: string): void {
    const now = this.o.clock.now();
    this.roll(now);
    const used = Number(res.headers.get("x-mbx-used-weight-1m"));
    if (res.headers.get("x-mbx-used-weight-1m") !== null && Number.isFinite(used)) this.used = Math.max(this.used, used);
    if (res.status !== 429 && res.status !== 418) return;
    const after = Number(res.headers.get("retry-after"));
    const afterMs = Number.isFinite(after) && after > 0 ? after * 1000 : 0;
    if (res.status === 418) {
      this.bans++;
      this.blockedUntil = Math.max(this.blockedUntil, now + Math.max(afterMs, this.o.minBanMs ?? 120_000));
      this.log.error("{venue}: IP banned by the venue (HTTP 418) for ignoring rate limits; no REST request until {until}", {
        venue: this.o.venue, until: new Date(this.blockedUntil).toISOString(),
      });
    } else {
      this.throttles++;
      this.blockedUntil = Math.max(this.blockedUntil, now + Math.max(afterMs, 1_000));
      this.log.warn("{venue}: REST weight limit hit (HTTP 429); waiting {ms} ms as Retry-After asks", { venue: this.o.venue, ms: this.blockedUntil - now });
    }
    throw new RateLimitedError(`GET ${url}: HTTP ${res.status}`, res.status, this.blockedUntil);
  }

  snapshot(): Record<string, number> {
    return { used: this.used, limit: this.o.weightPerMinute, blockedUntil: this.blockedUntil, bans: this.bans, throttles: this.throttles, requests: this.requests };
  }

  private roll(now: number): void {
    const minute = now - (now % 60_000);
    if (minute !== this.windowStart) {
      this.windowStart = minute;
      this.used = 0;
    }
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = this.o.clock.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.o.clock.clearTimeout(t);
        reject(new RestAbortedError("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
