/**
 * The `history` op: past candles of a candle room, fetched from the ranker over NATS
 * (`cmd.candles.history`, injected as `fetch`) and sent to the one client that asked
 * as `{"type":"history","room":…,"data":[…]}`.
 *
 * Limits, on top of the frame rate every op counts against: per socket a token bucket
 * (HISTORY_RATE per second, burst HISTORY_BURST) — a chart opens with one or two
 * requests and pages back now and then, never in a loop — and per edge at most
 * MAX_IN_FLIGHT requests waiting for the ranker, so a burst of chart opens cannot queue
 * unbounded work. Over either limit: `rate_limited` (a strike, like every rejected frame).
 */
import { ErrorCode } from "../../lib/contracts/protocol.ts";
import { TokenBucket } from "./limits.ts";
import type { Session } from "./session.ts";

export const HISTORY_RATE = 1;
export const HISTORY_BURST = 5;
export const MAX_IN_FLIGHT = 64;

export interface HistoryQuery {
  symbol: string;
  tf: string;
  limit?: number;
  before?: number;
}

/** Resolves with the candles as a JSON array text; rejects when the ranker cannot answer. */
export type HistoryFetch = (q: HistoryQuery) => Promise<string>;

export interface HistoryHooks {
  send(s: Session, frame: string): void;
  reject(s: Session, code: ErrorCode, message: string): void;
  /** An answer the client cannot use now (no strike). */
  fail(s: Session, code: ErrorCode, message: string): void;
}

export class HistoryGate {
  readonly #buckets = new WeakMap<Session, TokenBucket>();
  inFlight = 0;
  served = 0;
  failed = 0;

  constructor(private readonly fetch: HistoryFetch | undefined, private readonly hooks: HistoryHooks, private readonly now: () => number) {}

  request(s: Session, room: string, limit: number | undefined, before: number | undefined): void {
    let b = this.#buckets.get(s);
    if (!b) this.#buckets.set(s, (b = new TokenBucket(HISTORY_RATE, HISTORY_BURST, this.now())));
    if (!b.take(this.now())) return this.hooks.reject(s, ErrorCode.RateLimited, "too many history requests; at most 1 per second");
    if (!this.fetch) return this.hooks.fail(s, ErrorCode.Unavailable, "history is not available on this edge");
    if (this.inFlight >= MAX_IN_FLIGHT) return this.hooks.reject(s, ErrorCode.RateLimited, "edge busy with history requests; retry shortly");
    const [, symbol, tf] = room.split(".") as [string, string, string];
    this.inFlight++;
    this.fetch({ symbol, tf, ...(limit !== undefined ? { limit } : {}), ...(before !== undefined ? { before } : {}) }).then(
      (data) => {
        this.inFlight--;
        this.served++;
        if (!s.closed) this.hooks.send(s, `{"type":"history","room":${JSON.stringify(room)},"data":${data}}`);
      },
      (err) => {
        this.inFlight--;
        this.failed++;
        if (!s.closed) this.hooks.fail(s, ErrorCode.Unavailable, `history: ${String((err as Error)?.message ?? err).slice(0, 160)}`);
      },
    );
  }
}
