/**
 * One upstream WebSocket (the Node/`ws` adapter of the shard): opens through a cockatiel
 * policy (exponential backoff with jitter, 1 s → 30 s, wrapped around the venue's shared
 * circuit breaker), binds to a local IP if asked, watches for staleness (no frame for
 * `staleMs` → reconnect) and reconnects until closed. Frames go to `onFrame` as text;
 * a socket pauses when the loop's turn has run over its frame budget (turn-budget.ts).
 */
import WebSocket from "ws";
import { getLogger } from "@logtape/logtape";
import {
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  type IPolicy,
  retry,
  wrap,
} from "cockatiel";
import { type Clock, sleep, type TimerHandle } from "../runtime/mod.ts";
import { frameTurns } from "./turn-budget.ts";

export class UpstreamError extends Error {
  override name = "UpstreamError";
}
export const isUpstreamError = (e: unknown): e is UpstreamError => e instanceof Error && e.name === "UpstreamError";

/** "closed" | "open" | "half-open" | "isolated", for status reports. */
export function breakerState(s: CircuitState): string {
  return { [CircuitState.Closed]: "closed", [CircuitState.Open]: "open", [CircuitState.HalfOpen]: "half-open", [CircuitState.Isolated]: "isolated" }[s];
}

export interface VenuePolicyOptions {
  baseMs: number;
  maxMs: number;
  breakerFailures: number;
  halfOpenMs: number;
}

/**
 * The policies of one venue: a breaker shared by all its connections (so a dead upstream
 * opens it once) and the retry-around-breaker policy each connection opens through.
 */
export function venuePolicies(o: VenuePolicyOptions) {
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: o.halfOpenMs,
    breaker: new ConsecutiveBreaker(o.breakerFailures),
  });
  const retrying = retry(handleAll, {
    maxAttempts: Infinity,
    backoff: new ExponentialBackoff({ initialDelay: o.baseMs, maxDelay: o.maxMs }),
  }).dangerouslyUnref();
  return { breaker, open: wrap(retrying, breaker) };
}

export interface ConnectionOptions {
  id: string;
  url: string;
  localAddress?: string;
  staleMs: number;
  connectTimeoutMs: number;
  /** Pause after a session that ended before any frame arrived (server accepts then drops). */
  shortSessionPauseMs: number;
  policy: IPolicy;
  clock: Clock;
  /**
   * Reconnect on our own before the venue cuts the session (Binance: 24 h). Each
   * connection picks its moment in [0.8, 0.95] × maxSessionMs from its id, so the
   * connections of a shard (and their books' resyncs) are spread, never all at once.
   */
  maxSessionMs?: number;
  /** Connection attempts allowed (Binance: 300 per 5 minutes per IP); each attempt waits for a token. */
  connectBudget?: { tryTake(n?: number): boolean; msUntil(n?: number): number };
  /** The venue's handshake refusals (429/418 + Retry-After), shared by its connections: no attempt while it says wait. */
  gate?: { enter(signal: AbortSignal): Promise<() => void>; refused(status: number, retryAfterS: number | undefined): void };
  onOpen: (conn: UpstreamConnection) => void;
  onFrame: (raw: string, conn: UpstreamConnection) => void;
  onClose?: (conn: UpstreamConnection, why: string) => void;
}

export class UpstreamConnection {
  private ws: WebSocket | undefined;
  private readonly stopped = new AbortController();
  private lastFrameAt = 0;
  private framesThisSession = 0;
  private watchdog: TimerHandle | undefined;
  private loop: Promise<void> | undefined;
  private readonly log;
  /** Reason of the last forced reconnect (stale, gap...), for metrics/tests. */
  reconnects = 0;
  sessions = 0;

  constructor(private readonly o: ConnectionOptions) {
    this.log = getLogger(["tickflow", "ingest", "conn", o.id]);
  }

  get id(): string {
    return this.o.id;
  }

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Send a text frame; false if the socket is not open. */
  send(text: string): boolean {
    if (!this.isOpen()) return false;
    this.ws!.send(text);
    return true;
  }

  /** Drop the socket now; the loop reconnects. */
  reconnect(reason: string): void {
    this.log.info("reconnecting {id}: {reason}", { id: this.o.id, reason });
    this.reconnects++;
    this.ws?.terminate();
  }

  /** Stop for good: a normal close (1000) and no reconnect. Does not wait for a pending backoff. */
  close(): void {
    this.stopped.abort();
    this.clearWatchdog();
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, "shard stopping");
    else ws.terminate();
    // A peer that never answers the close handshake is cut after a moment.
    const t = setTimeout(() => ws.terminate(), 1000);
    (t as { unref?: () => void }).unref?.();
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      let ws: WebSocket;
      try {
        ws = await this.o.policy.execute(async ({ signal: s }) => {
          const b = this.o.connectBudget;
          const done = this.o.gate ? await this.o.gate.enter(s) : undefined;
          try {
            while (b && !b.tryTake() && !s.aborted) await sleep(this.o.clock, Math.max(10, b.msUntil()), s);
            return await this.open(s);
          } finally {
            done?.();
          }
        }, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn("{id}: cannot connect: {err}", { id: this.o.id, err: String(err) });
        continue;
      }
      if (signal.aborted) {
        ws.terminate();
        return;
      }
      const why = await this.session(ws);
      this.o.onClose?.(this, why);
      if (signal.aborted) return;
      if (this.framesThisSession === 0) await sleep(this.o.clock, this.o.shortSessionPauseMs, signal);
    }
  }

  private open(signal: AbortSignal): Promise<WebSocket> {
    if (signal.aborted) return Promise.reject(new UpstreamError("stopped"));
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.o.url, {
        handshakeTimeout: this.o.connectTimeoutMs,
        perMessageDeflate: false,
        // Not `allowSynchronousEvents: false` (one message per socket per loop round): it
        // cut bench:ingest from 18,006 to 5,990 ticks/s in a side-by-side run. The turn
        // budget below bounds a turn instead.
        ...(this.o.localAddress ? { localAddress: this.o.localAddress } : {}),
      });
      const fail = (err: unknown) => {
        ws.removeAllListeners();
        ws.on("error", () => {});
        ws.terminate();
        reject(new UpstreamError(`connect ${this.o.url}: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
      };
      ws.once("open", () => {
        ws.removeAllListeners();
        resolve(ws);
      });
      ws.once("error", fail);
      ws.once("unexpected-response", (_req, res) => {
        const status = res.statusCode ?? 0;
        if (status === 429 || status === 418) {
          const after = res.headers["retry-after"];
          this.o.gate?.refused(status, after === undefined ? undefined : Number(after));
        }
        fail(new Error(`HTTP ${status}`));
      });
    });
  }

  /** Runs one open socket until it closes; resolves with the reason. */
  private session(ws: WebSocket): Promise<string> {
    this.ws = ws;
    this.sessions++;
    this.framesThisSession = 0;
    this.lastFrameAt = this.o.clock.now();
    return new Promise((resolve) => {
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        this.lastFrameAt = this.o.clock.now();
        this.framesThisSession++;
        if (!isBinary) this.o.onFrame(data.toString(), this);
        if (!ws.isPaused && frameTurns.overBudget()) {
          ws.pause();
          frameTurns.defer(() => {
            if (ws.readyState !== WebSocket.CLOSED) ws.resume();
          });
        }
      });
      ws.on("ping", () => (this.lastFrameAt = this.o.clock.now()));
      ws.on("error", (err) => this.log.debug("{id}: socket error {err}", { id: this.o.id, err: String(err) }));
      const proactive = this.o.maxSessionMs
        ? this.o.clock.setTimeout(() => {
          if (this.ws === ws) this.reconnect(`proactive reconnect before the venue's ${Math.round(this.o.maxSessionMs! / 3.6e6)} h cut`);
        }, sessionLifetime(this.o.id, this.o.maxSessionMs))
        : undefined;
      ws.once("close", (code, reason) => {
        if (proactive !== undefined) this.o.clock.clearTimeout(proactive);
        this.clearWatchdog();
        if (this.ws === ws) this.ws = undefined;
        resolve(`closed ${code} ${reason.toString()}`.trim());
      });
      this.armWatchdog(ws);
      try {
        this.o.onOpen(this);
      } catch (err) {
        this.log.error("{id}: onOpen threw: {err}", { id: this.o.id, err: String(err) });
      }
    });
  }

  private armWatchdog(ws: WebSocket): void {
    const every = Math.max(10, Math.floor(this.o.staleMs / 4));
    const check = () => {
      if (this.ws !== ws) return;
      if (this.o.clock.now() - this.lastFrameAt > this.o.staleMs) {
        this.reconnect(`stale: no frame for ${this.o.staleMs} ms`);
        return;
      }
      this.watchdog = this.o.clock.setTimeout(check, every);
    };
    this.watchdog = this.o.clock.setTimeout(check, every);
  }

  private clearWatchdog(): void {
    if (this.watchdog !== undefined) this.o.clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }
}

/** Where in [0.8, 0.95] × max a connection reconnects, spread by a hash of its id. */
export function sessionLifetime(id: string, maxMs: number): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return Math.round(maxMs * (0.8 + 0.15 * ((h >>> 0) / 2 ** 32)));
}

