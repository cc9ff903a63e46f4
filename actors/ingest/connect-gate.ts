/**
 * A venue's refusals of our WebSocket handshakes, shared by all of that venue's
 * connections in a shard (Binance counts connections per IP: "300 connections per
 * attempt every 5 minutes"). After HTTP 429 no connection of the venue opens until
 * `Retry-After` has passed; 418 is an IP ban for not waiting: logged as an error, and
 * nothing opens until max(Retry-After, `minBanMs`). Without this every refused socket
 * retried on its own backoff, inside the Retry-After, which is what earns the ban.
 *
 * `serial` (Binance): one handshake in flight at a time, so the first refusal stops the
 * rest; handshakes already on their way when a 429 is sent would otherwise arrive
 * "before Retry-After" and start a ban. Binance needs few sockets (1,024 streams each).
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, sleep } from "../runtime/mod.ts";

export interface ConnectGateOptions {
  venue: string;
  clock: Clock;
  /** Back-off after a 418 whose Retry-After asks for less (BINANCE_MIN_BAN_MS). */
  minBanMs: number;
  /** One handshake in flight at a time. */
  serial?: boolean;
}

export class ConnectGate {
  /** No handshake before this time. */
  blockedUntil = 0;
  refusals = 0;
  bans = 0;
  private readonly log = getLogger(["tickflow", "ingest", "connect-gate"]);
  private busy = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly o: ConnectGateOptions) {}

  /** How long a connection must still wait before its next handshake (0: go). */
  msUntil(): number {
    return Math.max(0, this.blockedUntil - this.o.clock.now());
  }

  /**
   * Wait until a handshake may start (not blocked; with `serial`, none in flight); the
   * returned function ends the turn (call it when the handshake succeeded or failed).
   */
  async enter(signal: AbortSignal): Promise<() => void> {
    for (;;) {
      if (signal.aborted) return () => {};
      const wait = this.msUntil();
      if (wait > 0) {
        await sleep(this.o.clock, wait, signal);
        continue;
      }
      if (!this.o.serial) return () => {};
      if (!this.busy) {
        this.busy = true;
        return () => {
          this.busy = false;
          const ws = this.waiters;
          this.waiters = [];
          for (const w of ws) w();
        };
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  /** A handshake was answered `status` (429 or 418) with `Retry-After` in seconds, if any. */
  refused(status: number, retryAfterS: number | undefined): void {
    const now = this.o.clock.now();
    const afterMs = retryAfterS !== undefined && Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : 0;
    if (status === 418) {
      this.bans++;
      this.blockedUntil = Math.max(this.blockedUntil, now + Math.max(afterMs, this.o.minBanMs));
      this.log.error("{venue}: IP banned by the venue (HTTP 418 on a WebSocket handshake); no connection until {until}", {
        venue: this.o.venue, until: new Date(this.blockedUntil).toISOString(),
      });
    } else {
      this.refusals++;
      this.blockedUntil = Math.max(this.blockedUntil, now + Math.max(afterMs, 1_000));
      this.log.warn("{venue}: WebSocket connection limit hit (HTTP 429); no connection for {ms} ms as Retry-After asks", { venue: this.o.venue, ms: this.blockedUntil - now });
    }
  }
}

