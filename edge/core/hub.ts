/**
 * The edge core: rooms, sessions, fan-out, limits and recovery, independent of the
 * transport (core/transport.ts) and of NATS (injected as a room log and a refresh
 * function).
 *
 * Hot path: {@link EdgeHub.ingest} queues a room message's bytes; one deferred
 * {@link EdgeHub.flush} per event-loop turn stores each as the room's latest and
 * publishes it unchanged to the room's topic, so uWS merges all messages a socket gets
 * in that turn into one write. No JSON is parsed: `seq` (and, on sampled messages,
 * `ts`) are read from the bytes.
 *
 * Joining and leaving rooms (snapshots, replays) is core/subscriptions.ts; per-socket
 * state and frame validation is core/session.ts.
 */
import { CloseCode, ErrorCode, type Limits } from "../../lib/contracts/protocol.ts";
import type { EdgeConfig } from "../config.ts";
import { clientAddress, hostAllowed } from "./addresses.ts";
import { type HistoryFetch, HistoryGate } from "./history.ts";
import { AddressCounts, type AddressLimiter, originAllowed } from "./limits.ts";
import { type RefreshRoom, RefreshCoalescer } from "./refresh.ts";
import { type RoomLog, SharedLogReader } from "./replay.ts";
import { readSeq, readTs, RoomStore } from "./rooms.ts";
import { parseClientFrame, Session } from "./session.ts";
import { EdgeStats } from "./stats.ts";
import { Subscriptions } from "./subscriptions.ts";
import {
  type Admission,
  type Conn,
  SendResult,
  type SocketHandlers,
  type Transport,
  type UpgradeInfo,
  type UpgradeRequest,
} from "./transport.ts";

/**
 * The settings the hub reads, picked from the edge's one declaration (edge/config.ts).
 * allowedHosts (lower case; empty/absent = any), trustedProxies (empty/absent = none)
 * and proxyHeader (default x-forwarded-for) may be left out.
 */
export type CoreConfig =
  & Pick<
    EdgeConfig,
    | "id"
    | "maxFrameBytes"
    | "maxRooms"
    | "msgsPerSecond"
    | "burst"
    | "maxConnsPerIp"
    | "idleTimeoutMs"
    | "allowedOrigins"
    | "maxBackpressure"
    | "slowCloseMs"
    | "maxStrikes"
    | "replayWindowMs"
    | "refreshWindowMs"
    | "latencySample"
  >
  & Partial<Pick<EdgeConfig, "allowedHosts" | "trustedProxies" | "proxyHeader">>;

export interface CoreDeps {
  log: RoomLog;
  /** Fire-and-forget refresh command; must not throw. */
  refresh(room: RefreshRoom): void;
  /** Candle history for the `history` op (none: answered `unavailable`). */
  history?: HistoryFetch;
  now?: () => number;
  /** Runs `fn` once after the current event-loop turn's I/O (setImmediate on Node). */
  defer?: (fn: () => void) => void;
  observeLatency?: (ms: number) => void;
  warn?: (message: string, props?: Record<string, unknown>) => void;
  /** The per-address count (default: this process's own {@link AddressCounts}). */
  addresses?: AddressLimiter;
}

const EMPTY = new Uint8Array(0);

export class EdgeHub {
  readonly rooms = new RoomStore();
  readonly sessions = new Set<Session>();
  readonly stats = new EdgeStats();
  readonly refresher: RefreshCoalescer;
  readonly history: HistoryGate;
  /** True once the live subscription and the initial load are done. */
  ready = false;
  closing = false;
  private transport: Transport | undefined;
  private readonly ips: AddressLimiter;
  private readonly subs: Subscriptions;
  private readonly now: () => number;
  private readonly defer: (fn: () => void) => void;
  private readonly hello: string;
  // Pending messages of this turn, as parallel arrays reused between turns.
  private readonly pTopic: string[] = [];
  private readonly pData: Uint8Array[] = [];
  private readonly pSeed: boolean[] = [];
  private pending = 0;
  private scheduled = false;
  private sampleLeft: number;

  constructor(readonly cfg: CoreConfig, private readonly deps: CoreDeps) {
    this.now = deps.now ?? Date.now;
    this.defer = deps.defer ?? ((fn) => setTimeout(fn, 0));
    this.ips = deps.addresses ?? new AddressCounts(cfg.maxConnsPerIp);
    this.rooms.now = this.now;
    this.subs = new Subscriptions(this.rooms, this.stats, new SharedLogReader(deps.log), cfg.maxRooms, {
      send: (s, f) => this.send(s, f),
      reject: (s, code, message) => this.reject(s, code, message),
      endSlow: (s) => this.endSlow(s),
      ...(deps.warn ? { warn: deps.warn } : {}),
    });
    this.refresher = new RefreshCoalescer(cfg.refreshWindowMs, (r) => deps.refresh(r), this.now);
    this.history = new HistoryGate(deps.history, {
      send: (s, f) => this.send(s, f),
      reject: (s, code, message) => this.reject(s, code, message),
      fail: (s, code, message) => this.send(s, JSON.stringify({ type: "error", code, message })),
    }, this.now);
    this.sampleLeft = cfg.latencySample;
    const limits: Limits = {
      maxFrameBytes: cfg.maxFrameBytes,
      maxRooms: cfg.maxRooms,
      msgsPerSecond: cfg.msgsPerSecond,
      burst: cfg.burst,
      idleTimeoutSec: Math.round(cfg.idleTimeoutMs / 1000),
      replayWindowMs: cfg.replayWindowMs,
    };
    this.hello = JSON.stringify({ type: "hello", server: cfg.id, limits });
  }

  attach(t: Transport): void {
    this.transport = t;
  }

  // ------------------------------------------------------------------ bus side

  /** A live room message (hot path). `bytes` is owned by the hub from now on. */
  ingest(topic: string, bytes: Uint8Array): void {
    this.stats.msgsIn++;
    this.stats.bytesIn += bytes.length;
    this.enqueue(topic, bytes, false);
  }

  /** A stored room message (start-up load, reload after a NATS reconnect): applied only if newer than what the room has. */
  seed(topic: string, bytes: Uint8Array): void {
    this.enqueue(topic, bytes, true);
  }

  private enqueue(topic: string, bytes: Uint8Array, seed: boolean): void {
    const n = this.pending++;
    this.pTopic[n] = topic;
    this.pData[n] = bytes;
    this.pSeed[n] = seed;
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flush);
    }
  }

  /** Publish everything queued this turn (bound: handed to `defer`). */
  readonly flush = (): void => {
    this.scheduled = false;
    const n = this.pending;
    this.pending = 0;
    const t = this.transport;
    for (let i = 0; i < n; i++) {
      const topic = this.pTopic[i]!;
      const bytes = this.pData[i]!;
      this.pData[i] = EMPTY;
      const r = this.rooms.byTopicName(topic) ?? this.rooms.openTopic(topic);
      const seq = r ? readSeq(bytes, r.name.length) : -1;
      if (r === undefined || seq < 0) {
        this.stats.badBusMessages++;
        continue;
      }
      if (this.pSeed[i] && r.seq >= seq) continue;
      r.set(bytes, seq);
      if (r.replaying !== undefined && r.replaying.size > 0) for (const rep of r.replaying) rep.bufferLive(seq, bytes);
      if (r.subscribers > 0 && t !== undefined) {
        t.publish(topic, bytes);
        this.stats.msgsOut += r.subscribers;
        this.stats.bytesOut += r.subscribers * bytes.length;
      }
      if (--this.sampleLeft <= 0) {
        this.sampleLeft = this.cfg.latencySample;
        const ts = readTs(bytes, r.name.length);
        if (ts > 0 && !this.pSeed[i]) this.deps.observeLatency?.(this.now() - ts);
      }
    }
  };

  // ------------------------------------------------------------------ socket side

  readonly handlers: SocketHandlers<Session> = {
    open: (conn, info) => this.open(conn, info),
    message: (s, data, isBinary) => this.message(s, data, isBinary),
    close: (s) => this.close(s),
    accepting: () => this.ready && !this.closing,
    admit: (req) => this.admit(req),
    abandon: (ip) => this.ips.release(ip),
  };

  /**
   * Decide an upgrade before the 101: 503 until ready and while shutting down, 403 for
   * a Host outside EDGE_ALLOWED_HOSTS or a foreign Origin, 429 when the client address
   * (behind trusted proxies: the forwarded one) is at its cap. Accepted upgrades hold a
   * slot in the count from here on.
   */
  admit(req: UpgradeRequest): Admission | Promise<Admission> {
    if (!this.ready || this.closing) return this.refuse(503, this.closing ? "shutting_down" : "not_ready");
    if (!hostAllowed(req.host, this.cfg.allowedHosts ?? [])) return this.refuse(403, "host_not_allowed");
    if (!originAllowed(req.origin, req.host, this.cfg.allowedOrigins)) return this.refuse(403, "origin_not_allowed");
    const ip = clientAddress(req.peer, req, this.cfg.trustedProxies ?? [], this.cfg.proxyHeader);
    const decide = (ok: boolean): Admission => ok ? { ok: true, ip } : this.refuse(429, "too_many_connections");
    let got: boolean | Promise<boolean>;
    try {
      got = this.ips.acquire(ip);
    } catch {
      return this.refuse(503, "limiter_unavailable");
    }
    if (typeof got === "boolean") return decide(got);
    return got.then(decide, () => this.refuse(503, "limiter_unavailable"));
  }

  private refuse(status: 403 | 429 | 503, reason: string): Admission {
    this.stats.bump(this.stats.refusedUpgrades, reason);
    return { ok: false, status, reason };
  }

  /** An admitted socket is open: `info.ip` already holds its slot in the per-address count. */
  private open(conn: Conn, info: UpgradeInfo): Session {
    const s = new Session(conn, info.ip, this.cfg, this.now());
    this.sessions.add(s);
    this.stats.connectionsOpened++;
    s.counted = true;
    this.send(s, this.hello);
    return s;
  }

  private message(s: Session, data: Uint8Array, isBinary: boolean): void {
    if (s.closed) return;
    this.stats.framesIn++;
    try {
      if (!s.bucket.take(this.now())) return this.reject(s, ErrorCode.RateLimited, "too many frames; slow down");
      const p = parseClientFrame(data, isBinary, this.cfg.maxFrameBytes);
      if (!p.ok) return this.reject(s, p.code, p.message);
      const m = p.msg;
      if (m.op === "subscribe") this.subs.subscribe(s, m.rooms, m.since);
      else if (m.op === "unsubscribe") this.subs.unsubscribe(s, m.rooms);
      else if (m.op === "ping") this.send(s, JSON.stringify({ type: "pong", id: m.id, ts: this.now() }));
      else if (m.op === "history") this.history.request(s, m.room, m.limit, m.before);
      else this.refresher.request(m.room);
    } catch (e) {
      // A bug handling one frame must not take the process (or other clients) down.
      this.deps.warn?.("client frame handling failed: {error}", { error: String(e) });
      this.reject(s, ErrorCode.BadRequest, "could not handle the frame");
    }
  }

  private close(s: Session): void {
    if (!this.sessions.delete(s)) return;
    s.closed = true;
    this.subs.dropAll(s);
    if (s.counted) this.ips.release(s.ip);
  }

  // ------------------------------------------------------------------ limits and lifecycle

  private send(s: Session, frame: Uint8Array | string): SendResult {
    const r = s.conn.send(frame);
    this.stats.msgsOut++;
    this.stats.bytesOut += typeof frame === "string" ? frame.length : frame.byteLength;
    return r;
  }

  private reject(s: Session, code: ErrorCode, message: string): void {
    this.stats.bump(this.stats.rejected, code);
    this.send(s, JSON.stringify({ type: "error", code, message }));
    if (s.strikes.add(this.now())) this.end(s, CloseCode.TooManyErrors, "too_many_errors");
  }

  private endSlow(s: Session): void {
    this.end(s, CloseCode.TooSlow, "too_slow");
  }

  private end(s: Session, code: number, reason: string): void {
    if (s.closed) return;
    s.closed = true;
    this.stats.bump(this.stats.closes, reason);
    s.conn.end(code, reason);
  }

  /**
   * Rated subscriptions (`ticker.BTC-USD@1s`): call often (every 100 ms). Each rated room
   * that is due and whose base room has a newer message than it last sent gets the base
   * room's latest bytes, unchanged (the frame names the base room and carries its seq:
   * seqs jump by what was skipped), at most once per period.
   */
  emitRated(): void {
    const t = this.transport;
    if (t === undefined || this.rooms.rated.size === 0) return;
    const now = this.now();
    for (const r of this.rooms.rated) {
      const rate = r.rate!;
      if (r.subscribers === 0 || now < rate.nextDue) continue;
      const base = this.rooms.byTopicName(rate.baseTopic);
      if (!base || base.bytes === undefined || base.seq <= rate.lastSent) continue;
      rate.nextDue = now + rate.periodMs;
      rate.lastSent = base.seq;
      t.publish(r.topic, base.bytes);
      this.stats.msgsOut += r.subscribers;
      this.stats.bytesOut += r.subscribers * base.bytes.length;
    }
  }

  /**
   * Check every socket's backlog (call about every second). A socket over half the
   * backpressure limit is skipped by publishes as it reaches the limit; one that stays
   * behind for `slowCloseMs` is closed with 4001 so its buffer is freed.
   */
  sweep(): void {
    const now = this.now();
    const threshold = this.cfg.maxBackpressure / 2;
    for (const s of this.sessions) {
      if (s.closed) continue;
      if (s.conn.bufferedAmount() >= threshold) {
        this.stats.slowObservations++;
        if (s.slowSince === 0) s.slowSince = now;
        else if (now - s.slowSince >= this.cfg.slowCloseMs) this.endSlow(s);
      } else {
        s.slowSince = 0;
      }
    }
  }

  /** Stop accepting, send every client a going-away close (1001), wait up to `graceMs` for them to go. */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.transport?.stopListening();
    for (const s of this.sessions) this.end(s, CloseCode.GoingAway, "going_away");
    const deadline = this.now() + graceMs;
    while (this.sessions.size > 0 && this.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.transport?.close();
  }
}
