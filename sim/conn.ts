/**
 * WebSocket connections as the venues see them: one {@link Conn} per client socket,
 * with the data path (stall and malformed-frame faults, slow-consumer cut-off,
 * batched socket writes) and the incoming-message rate limit.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { Faults, Venue } from "./faults.ts";
import type { VenueStats } from "./stats.ts";

/** Per-connection knobs shared by the venues. */
export interface ConnContext {
  readonly faults: Faults;
  readonly stats: VenueStats;
  /** Cut a client whose unsent backlog exceeds this many bytes (a real venue drops slow consumers). */
  readonly maxBufferedBytes: number;
  readonly registry: Registry;
}

/** At most `limit` events in any `windowMs`: a ring of the last `limit` timestamps. */
export class MsgRate {
  private readonly ring: number[] = [];
  private head = 0;
  constructor(
    readonly limit: number,
    readonly windowMs = 1000,
  ) {}

  /** Record one event at `now`; true if that makes more than `limit` within the window. */
  hit(now: number): boolean {
    if (this.ring.length < this.limit) {
      this.ring.push(now);
      return false;
    }
    const oldest = this.ring[this.head]!;
    if (now - oldest < this.windowMs) return true;
    this.ring[this.head] = now;
    this.head = (this.head + 1) % this.limit;
    return false;
  }
}

// Writes of one event-loop turn are corked per socket and flushed together: at 50k
// ticks/s that turns thousands of small write syscalls into one writev per socket.
const corked: Conn[] = [];
let flushScheduled = false;
function uncorkAll(): void {
  flushScheduled = false;
  for (const c of corked) {
    c.corked = false;
    c.socket.uncork();
  }
  corked.length = 0;
}

const TEXT = { binary: false } as const;
let nextId = 1;

export class Conn {
  readonly id = nextId++;
  readonly openedAt = Date.now();
  stalledUntil = 0;
  framesSent = 0;
  corked = false;
  closed = false;

  constructor(
    readonly venue: Venue,
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly path: string,
    protected readonly ctx: ConnContext,
  ) {
    ctx.registry.add(this);
    ctx.stats.connections++;
    ctx.stats.accepted++;
    ws.on("close", () => this.closedNow());
    ws.on("error", () => this.closedNow());
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? "?";
  }

  /**
   * Send market data (ticks, heartbeats, diffs). Dropped while the connection is
   * stalled; may be preceded by a malformed frame. `shared` is `data` already encoded
   * when the same frame goes to many sockets.
   */
  sendData(data: string, now: number, shared?: Buffer): void {
    if (this.closed || this.stalledUntil > now) return;
    const f = this.ctx.faults;
    if (f.malformedArmed && f.malformed(this.venue)) this.write(corrupt(data, f.malformedKind()));
    this.write(shared ?? data);
    if (this.ws.bufferedAmount > this.ctx.maxBufferedBytes) {
      this.ctx.stats.disconnects.slowConsumer++;
      this.terminate();
    }
  }

  /** Send a reply to a client request (not subject to stalls or malformed frames). */
  sendControl(data: string): void {
    if (!this.closed) this.write(data);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    this.closedNow();
  }

  /** Cut the TCP connection without a close handshake (the client sees 1006). */
  terminate(): void {
    this.ws.terminate();
    this.closedNow();
  }

  /** Release subscriptions; called once when the socket goes away. */
  protected onClosed(): void {}

  private write(data: string | Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      corked.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(uncorkAll);
      }
    }
    this.ws.send(data, TEXT);
    this.framesSent++;
    this.ctx.stats.framesSent++;
    this.ctx.stats.bytesSent += data.length;
  }

  private closedNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.registry.delete(this);
    this.ctx.stats.connections--;
    this.onClosed();
  }
}

/** A frame no JSON parser accepts, made from a real one so it looks like line noise on the wire. */
function corrupt(frame: string, kind: number): string {
  if (kind === 0) return frame.slice(0, Math.max(1, frame.length >> 1));
  if (kind === 1) return frame.replace(/"/, "");
  return "\u0000\u00ff" + frame.slice(3);
}

/** Every live connection, by id. */
export class Registry {
  private readonly conns = new Map<number, Conn>();
  add(c: Conn): void {
    this.conns.set(c.id, c);
  }
  delete(c: Conn): void {
    this.conns.delete(c.id);
  }
  get(id: number): Conn | undefined {
    return this.conns.get(id);
  }
  all(venue?: Venue | "all"): Conn[] {
    const xs = [...this.conns.values()];
    return venue && venue !== "all" ? xs.filter((c) => c.venue === venue) : xs;
  }
  get size(): number {
    return this.conns.size;
  }
}
