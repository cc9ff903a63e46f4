/**
 * The shard's rate-limited reports: bad frames (counted always, one sample logged per
 * venue per BAD_FRAME_LOG_MS) and new upstream sessions (counted always, one line per
 * venue per interval: a venue restart starts a session on every product at once).
 */
import type { Logger } from "@logtape/logtape";
import type { Counter } from "../../lib/platform/metrics.ts";
import type { Clock } from "../runtime/mod.ts";

export class ShardReports {
  private readonly lastLog = new Map<string, number>();
  private suppressedBad = 0;
  private readonly sessionsUnlogged = new Map<string, number>();

  constructor(
    private readonly o: { log: Logger; clock: Clock; intervalMs: number; bad: Counter; sessions: Counter },
  ) {}

  private due(key: string): boolean {
    const now = this.o.clock.now();
    const last = this.lastLog.get(key);
    if (last !== undefined && now - last < this.o.intervalMs) return false;
    this.lastLog.set(key, now);
    return true;
  }

  badFrame(venue: string, error: string, sample: string): void {
    this.o.bad.inc({ venue });
    if (!this.due(venue)) {
      this.suppressedBad++;
      return;
    }
    this.o.log.warn("{venue}: skipped a bad frame ({error}); sample: {sample} ({suppressed} more since the last report)", {
      venue, error, sample, suppressed: this.suppressedBad,
    });
    this.suppressedBad = 0;
  }

  newSession(venue: string, product: string, previous: number, got: number): void {
    this.o.sessions.inc({ venue });
    const more = (this.sessionsUnlogged.get(venue) ?? 0) + 1;
    if (!this.due(`session:${venue}`)) {
      this.sessionsUnlogged.set(venue, more);
      return;
    }
    this.sessionsUnlogged.set(venue, 0);
    this.o.log.info("{venue}: new upstream session on {n} product(s), e.g. {product} restarted at sequence {got} (previous session reached {previous})", {
      venue, n: more, product, got, previous,
    });
  }
}
