/**
 * Binance REST request-weight limits as the venue applies them
 * (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info#limits):
 *
 * - every response carries `X-MBX-USED-WEIGHT-1M`, the weight used in the current
 *   minute (a fixed window starting on the minute);
 * - a request that would pass the limit gets 429 with `Retry-After` (seconds to the
 *   next window) and the `{"code":-1003,...}` body;
 * - a client that keeps sending while told to wait is banned: 418 with `Retry-After`
 *   for the ban's length (Binance: 2 minutes up to 3 days, growing for repeat
 *   offenders; here `banMs`, doubling per ban). Requests during a ban are counted
 *   (`requestsDuringBan`) so a test can prove a client sends none.
 *
 * Fault knobs: `force429` (in faults.ts, shared with CoinGecko) and `force418`.
 */
import type { ServerResponse } from "node:http";
import { sendJson } from "./http.ts";

export interface WeightOptions {
  /** Weight per minute (Spot 6,000; USD-M futures 2,400). */
  limit: number;
  /** First ban length; doubles with every further ban. */
  banMs: number;
}

export class WeightLimiter {
  private windowStart = 0;
  used = 0;
  /** Until when the last 429 asked the client to wait (0: not throttled). */
  private waitUntil = 0;
  banUntil = 0;
  private bans = 0;
  throttled = 0;
  banned = 0;
  requestsDuringBan = 0;
  /** Set by the force418 knob: the next N requests start a ban. */
  force418 = 0;
  /** Set by the force429 knob: the next N requests get 429 with Retry-After: 1. */
  force429 = 0;
  /** Requests that arrived after a 429 but before its Retry-After had passed (each starts a ban). */
  requestsBeforeRetryAfter = 0;

  constructor(private readonly o: WeightOptions) {}

  /**
   * Count one request of `weight`; answers 429/418 itself and returns false when the
   * request must not be served, else returns the headers to send with the answer.
   */
  admit(weight: number, now: number, res: ServerResponse): Record<string, string> | false {
    const minute = now - (now % 60_000);
    if (minute !== this.windowStart) {
      this.windowStart = minute;
      this.used = 0;
    }
    if (now < this.banUntil) {
      this.requestsDuringBan++;
      this.reply418(now, res);
      return false;
    }
    if (this.force429 > 0) {
      this.force429--;
      this.throttled++;
      this.waitUntil = now + 1000;
      binance429(res, 1, this.headers());
      return false;
    }
    if (this.force418 > 0 || now < this.waitUntil) {
      // Sending again before Retry-After passed (or the knob): the IP is banned.
      if (this.force418 > 0) this.force418--;
      else this.requestsBeforeRetryAfter++;
      this.banUntil = now + this.o.banMs * 2 ** Math.min(this.bans++, 10);
      this.banned++;
      this.reply418(now, res);
      return false;
    }
    if (this.used + weight > this.o.limit) {
      this.throttled++;
      this.waitUntil = minute + 60_000;
      binance429(res, Math.max(1, Math.ceil((this.waitUntil - now) / 1000)), this.headers());
      return false;
    }
    this.used += weight;
    return this.headers();
  }

  headers(): Record<string, string> {
    return { "x-mbx-used-weight-1m": String(this.used), "x-mbx-used-weight": String(this.used) };
  }

  toJSON(): Record<string, unknown> {
    return { limit: this.o.limit, used: this.used, throttled: this.throttled, banned: this.banned, banUntil: this.banUntil, requestsDuringBan: this.requestsDuringBan, requestsBeforeRetryAfter: this.requestsBeforeRetryAfter };
  }

  private reply418(now: number, res: ServerResponse): void {
    const s = Math.max(1, Math.ceil((this.banUntil - now) / 1000));
    sendJson(res, 418, { code: -1003, msg: `Way too many requests; IP banned until ${this.banUntil}. Please use the websocket for live updates to avoid bans.` }, {
      "retry-after": String(s),
      ...this.headers(),
    });
  }
}

export function binance429(res: ServerResponse, retryAfterS: number, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    429,
    { code: -1003, msg: "Too many requests; current limit is exceeded. Please use WebSocket Streams for live updates to avoid polling the API." },
    { "retry-after": String(retryAfterS), ...headers },
  );
}

export interface ConnLimitOptions {
  /** Connection attempts per window per IP (Binance: 300 per 5 minutes). */
  limit: number;
  windowMs: number;
  /** First ban length; doubles with every further ban. */
  banMs: number;
}

/**
 * Binance's WebSocket connection limit ("a limit of 300 connections per attempt every 5
 * minutes per IP", https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams).
 * Binance does not document what the refused handshake looks like; the simulator applies
 * its general REST rule to the handshake: past the limit the upgrade is answered HTTP 429
 * with `Retry-After` (seconds until the oldest attempt leaves the window), and an IP that
 * tries again before that is banned: 418 with `Retry-After` for the ban (`banMs`,
 * doubling per ban). Attempts during a ban or before a Retry-After passed are counted, so
 * a test can prove a client waits.
 */
export class ConnLimiter {
  private readonly attempts: number[] = [];
  private waitUntil = 0;
  banUntil = 0;
  private bans = 0;
  refused = 0;
  banned = 0;
  attemptsDuringBan = 0;
  attemptsBeforeRetryAfter = 0;
  /** Set by the wsForce418 knob: the next N handshakes start a ban. */
  force418 = 0;

  constructor(private readonly o: ConnLimitOptions) {}

  /** Count one handshake at `now`: undefined to accept it, or the refusal to send. */
  admit(now: number): { status: 429 | 418; retryAfterS: number } | undefined {
    while (this.attempts.length > 0 && now - this.attempts[0]! >= this.o.windowMs) this.attempts.shift();
    if (now < this.banUntil) {
      this.attemptsDuringBan++;
      return { status: 418, retryAfterS: Math.max(1, Math.ceil((this.banUntil - now) / 1000)) };
    }
    if (this.force418 > 0 || now < this.waitUntil) {
      if (this.force418 > 0) this.force418--;
      else this.attemptsBeforeRetryAfter++;
      this.banUntil = now + this.o.banMs * 2 ** Math.min(this.bans++, 10);
      this.banned++;
      return { status: 418, retryAfterS: Math.max(1, Math.ceil((this.banUntil - now) / 1000)) };
    }
    if (this.attempts.length >= this.o.limit) {
      this.refused++;
      this.waitUntil = this.attempts[0]! + this.o.windowMs;
      return { status: 429, retryAfterS: Math.max(1, Math.ceil((this.waitUntil - now) / 1000)) };
    }
    this.attempts.push(now);
    return undefined;
  }

  toJSON(): Record<string, unknown> {
    return { limit: this.o.limit, windowMs: this.o.windowMs, inWindow: this.attempts.length, refused: this.refused, banned: this.banned, banUntil: this.banUntil, attemptsDuringBan: this.attemptsDuringBan, attemptsBeforeRetryAfter: this.attemptsBeforeRetryAfter };
  }
}
