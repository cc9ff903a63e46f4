/**
 * The dashboard's one WebSocket: connects, keeps the desired rooms subscribed across
 * reconnects, replays stream rooms from the last seen `seq`, pings every 30 s and
 * reconnects with exponential backoff. DOM-free: the socket comes from a factory, so
 * tests drive it with a fake socket and fake timers.
 */
import type { ClientMsg, Limits, ServerFrame } from "../../../lib/contracts/protocol.ts";
import { isStreamRoom } from "../../../lib/contracts/subjects.ts";
import { Backoff } from "./backoff.ts";
import { FrameError, parseServerFrame } from "./frames.ts";

export type ConnStatus = "connecting" | "connected" | "reconnecting" | "offline";

/** What the connection needs of a WebSocket (the browser's fits after a cast). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface ConnectionOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  /** Every valid frame, after duplicate stream-room updates were dropped. */
  onFrame: (frame: ServerFrame) => void;
  onStatus?: (status: ConnStatus) => void;
  onBadFrame?: (err: FrameError) => void;
  backoff?: Backoff;
  /** Default 30 s. */
  pingIntervalMs?: number;
  /** No frame for this long after a ping means the socket is dead. Default 10 s. */
  pongTimeoutMs?: number;
  /** Disconnected this long → status "offline". Default 5 min. */
  offlineAfterMs?: number;
  /** Least time between two subscription flushes (the edge rate-limits client frames). Default 200 ms. */
  flushIntervalMs?: number;
}

const OPEN = 1;
const MAX_ROOMS_PER_FRAME = 100;

export class Connection {
  private readonly opts: Required<Omit<ConnectionOptions, "onStatus" | "onBadFrame" | "backoff">> & ConnectionOptions;
  private readonly backoff: Backoff;
  private socket: SocketLike | undefined;
  private _status: ConnStatus = "connecting";
  private stopped = true;
  /** Desired rooms with reference counts (several components may want one room). */
  private readonly refs = new Map<string, number>();
  /** Rooms subscribed on the current socket. */
  private readonly live = new Set<string>();
  /** Last update `seq` per stream room, for `since` on (re)subscribe. */
  private readonly lastSeq = new Map<string, number>();
  private readonly recovering = new Set<string>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private offlineTimer: ReturnType<typeof setTimeout> | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = -Infinity;
  private flushGapMs: number;
  private pingId = 0;
  /** When the connection was lost (ms), undefined while connected. */
  disconnectedAt: number | undefined;
  limits: Limits | undefined;
  server: string | undefined;

  constructor(opts: ConnectionOptions) {
    // `??` per field: an explicit undefined must not erase a default.
    this.opts = {
      ...opts,
      pingIntervalMs: opts.pingIntervalMs ?? 30_000,
      pongTimeoutMs: opts.pongTimeoutMs ?? 10_000,
      offlineAfterMs: opts.offlineAfterMs ?? 5 * 60_000,
      flushIntervalMs: opts.flushIntervalMs ?? 200,
    };
    this.backoff = opts.backoff ?? new Backoff();
    this.flushGapMs = this.opts.flushIntervalMs;
  }

  get status(): ConnStatus {
    return this._status;
  }

  /** Rooms currently wanted (whether or not the socket is open). */
  get rooms(): string[] {
    return [...this.refs.keys()];
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Close for good (no reconnect). */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      detach(s);
      try { s.close(1000, "bye"); } catch { /* already closed */ }
    }
    this.live.clear();
  }

  /** Skip the backoff wait and try now (the "Reconnect now" button, the browser's online event). */
  reconnectNow(): void {
    if (this.stopped || this._status === "connected" || this.socket) return;
    clearTimeout(this.reconnectTimer);
    this.backoff.reset();
    this.connect();
  }

  /** Want these rooms (reference counted). Stream rooms replay from the last seen seq, or from 0. */
  subscribe(rooms: Iterable<string>): void {
    for (const r of rooms) this.refs.set(r, (this.refs.get(r) ?? 0) + 1);
    this.scheduleFlush();
  }

  /** Release rooms taken with subscribe(); a room is left when its last holder releases it. */
  unsubscribe(rooms: Iterable<string>): void {
    for (const r of rooms) {
      const n = (this.refs.get(r) ?? 0) - 1;
      if (n > 0) this.refs.set(r, n);
      else {
        this.refs.delete(r);
        // Next time the room is wanted its history is replayed from the start.
        this.lastSeq.delete(r);
        this.recovering.delete(r);
      }
    }
    this.scheduleFlush();
  }

  /** Ask the edge for a fresh snapshot (or replay) of one room. */
  resubscribe(room: string): void {
    if (!this.refs.has(room) || !this.isOpen()) return;
    this.send({ op: "unsubscribe", rooms: [room] });
    this.send(this.subscribeMsg([room]));
    this.live.add(room);
  }

  /** Forget a stream room's position so the next (re)subscribe replays all the edge has. */
  resetSince(room: string): void {
    this.lastSeq.delete(room);
    this.recovering.delete(room);
  }

  send(msg: ClientMsg): boolean {
    if (!this.isOpen()) return false;
    this.socket!.send(JSON.stringify(msg));
    return true;
  }

  private isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === OPEN && this._status === "connected";
  }

  private setStatus(s: ConnStatus): void {
    if (s === this._status) return;
    this._status = s;
    this.opts.onStatus?.(s);
  }

  private connect(): void {
    let s: SocketLike;
    try {
      s = this.opts.createSocket(this.opts.url);
    } catch {
      this.lost();
      return;
    }
    this.socket = s;
    s.onopen = () => this.opened();
    s.onmessage = (ev) => this.received(ev.data);
    s.onclose = () => this.lost();
    s.onerror = () => { /* a close event follows */ };
  }

  private opened(): void {
    this.backoff.reset();
    this.disconnectedAt = undefined;
    clearTimeout(this.offlineTimer);
    this.live.clear();
    this.setStatus("connected");
    this.pingTimer = setInterval(() => this.ping(), this.opts.pingIntervalMs);
    this.lastFlushAt = -Infinity;
    this.flush();
  }

  private lost(): void {
    const s = this.socket;
    this.socket = undefined;
    if (s) detach(s);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.live.clear();
    if (this.stopped) return;
    const now = Date.now();
    if (this.disconnectedAt === undefined) {
      this.disconnectedAt = now;
      clearTimeout(this.offlineTimer);
      this.offlineTimer = setTimeout(() => this.setStatus("offline"), this.opts.offlineAfterMs);
    }
    this.setStatus(now - this.disconnectedAt >= this.opts.offlineAfterMs ? "offline" : "reconnecting");
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private ping(): void {
    if (!this.send({ op: "ping", id: ++this.pingId })) return;
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      // No answer: the socket is dead even if the browser has not noticed; drop it now.
      const s = this.socket;
      if (s) try { s.close(4000, "pong timeout"); } catch { /* ignore */ }
      this.lost();
    }, this.opts.pongTimeoutMs);
  }

  private received(raw: unknown): void {
    clearTimeout(this.pongTimer); // any frame proves the edge is alive
    if (typeof raw !== "string") {
      this.opts.onBadFrame?.(new FrameError("binary frame"));
      return;
    }
    let f: ServerFrame;
    try {
      f = parseServerFrame(raw);
    } catch (e) {
      this.opts.onBadFrame?.(e instanceof FrameError ? e : new FrameError("bad frame", { cause: e }));
      return;
    }
    if (f.type === "hello") {
      this.limits = f.limits;
      this.server = f.server;
      // A flush sends up to two frames (unsubscribe + subscribe): stay under the edge's rate.
      const rate = f.limits?.msgsPerSecond;
      this.flushGapMs = rate > 0 ? Math.max(this.opts.flushIntervalMs, Math.ceil(2000 / rate)) : this.opts.flushIntervalMs;
    } else if (f.type === "update" && isStreamRoom(f.room) && !this.inOrder(f.room, f.seq)) {
      return;
    } else if (f.type === "resync") {
      // The edge follows a resync with a snapshot and keeps the room live: drop what we
      // knew of the room and start again from the next update. Subscribing again here
      // would only earn another resync (a loop at the rate limit).
      this.resetSince(f.room);
      this.recovering.delete(f.room);
      this.opts.onFrame(f);
      return;
    }
    this.opts.onFrame(f);
  }

  /** Stream rooms: drop duplicates; on a gap, ask for a replay from the last seen seq. */
  private inOrder(room: string, seq: number): boolean {
    if (!this.refs.has(room)) return false;
    const last = this.lastSeq.get(room);
    if (last !== undefined && seq <= last) return false;
    if (last !== undefined && seq > last + 1) {
      if (!this.recovering.has(room)) {
        this.recovering.add(room);
        this.resubscribe(room);
      }
      return false;
    }
    this.recovering.delete(room);
    this.lastSeq.set(room, seq);
    return true;
  }

  private subscribeMsg(rooms: string[]): ClientMsg {
    const since: Record<string, number> = {};
    let any = false;
    for (const r of rooms) {
      if (!isStreamRoom(r)) continue;
      since[r] = this.lastSeq.get(r) ?? 0;
      any = true;
    }
    return any ? { op: "subscribe", rooms, since } : { op: "subscribe", rooms };
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || !this.isOpen()) return;
    const wait = Math.max(0, this.lastFlushAt + this.flushGapMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, wait);
  }

  /** Bring the socket's subscriptions in line with the desired rooms, in frames of ≤ 100 rooms. */
  private flush(): void {
    if (!this.isOpen()) return;
    this.lastFlushAt = Date.now();
    const remove = [...this.live].filter((r) => !this.refs.has(r));
    let add = [...this.refs.keys()].filter((r) => !this.live.has(r));
    const max = this.limits?.maxRooms;
    if (max !== undefined) add = add.slice(0, Math.max(0, max - (this.live.size - remove.length)));
    for (let i = 0; i < remove.length; i += MAX_ROOMS_PER_FRAME) {
      this.send({ op: "unsubscribe", rooms: remove.slice(i, i + MAX_ROOMS_PER_FRAME) });
    }
    for (const r of remove) this.live.delete(r);
    for (let i = 0; i < add.length; i += MAX_ROOMS_PER_FRAME) {
      this.send(this.subscribeMsg(add.slice(i, i + MAX_ROOMS_PER_FRAME)));
    }
    for (const r of add) this.live.add(r);
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.offlineTimer);
    clearTimeout(this.flushTimer);
    clearTimeout(this.pongTimer);
    clearInterval(this.pingTimer);
    this.flushTimer = undefined;
  }
}

function detach(s: SocketLike): void {
  s.onopen = s.onmessage = s.onclose = s.onerror = null;
}
