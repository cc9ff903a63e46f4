/**
 * One client connection: its rooms, rate limit, strikes and slow-socket clock, and the
 * validation of what the client sends. Decisions about rooms are the hub's
 * (core/hub.ts); this module only turns a raw frame into a {@link ClientMsg} or an
 * error code.
 */
import { ClientMsg, ErrorCode } from "../../lib/contracts/protocol.ts";
import { Strikes, TokenBucket } from "./limits.ts";
import type { Room } from "./rooms.ts";
import type { Replay } from "./replay.ts";
import type { Conn } from "./transport.ts";

export class Session {
  /** Rooms whose transport topic this socket is subscribed to. */
  readonly rooms: Room[] = [];
  /** Stream rooms being replayed (not yet subscribed to the topic). */
  replays: Map<Room, Replay> | undefined;
  /** When the socket was first seen over the backpressure threshold (0 = not slow). */
  slowSince = 0;
  closed = false;
  /** Whether this socket holds a slot in the per-address count. */
  counted = false;
  readonly bucket: TokenBucket;
  readonly strikes: Strikes;

  constructor(readonly conn: Conn, readonly ip: string, limits: { msgsPerSecond: number; burst: number; maxStrikes: number }, now: number) {
    this.bucket = new TokenBucket(limits.msgsPerSecond, limits.burst, now);
    this.strikes = new Strikes(limits.maxStrikes);
  }

  /** Rooms held (live + replaying), for the per-connection cap. */
  get roomCount(): number {
    return this.rooms.length + (this.replays?.size ?? 0);
  }

  has(r: Room): boolean {
    return this.rooms.includes(r) || (this.replays?.has(r) ?? false);
  }

  /** Forget a live room; true if it was live. */
  dropLive(r: Room): boolean {
    const i = this.rooms.indexOf(r);
    if (i < 0) return false;
    this.rooms[i] = this.rooms[this.rooms.length - 1]!;
    this.rooms.pop();
    return true;
  }
}

export type Parsed = { ok: true; msg: ClientMsg } | { ok: false; code: ErrorCode; message: string };

const decoder = new TextDecoder("utf-8", { fatal: true });
const KNOWN_OPS = new Set(["subscribe", "unsubscribe", "ping", "refresh", "history"]);

/** Validate one client frame. Never throws. */
export function parseClientFrame(data: Uint8Array, isBinary: boolean, maxFrameBytes: number): Parsed {
  if (isBinary) return { ok: false, code: ErrorCode.Binary, message: "send JSON text frames" };
  if (data.byteLength > maxFrameBytes) {
    return { ok: false, code: ErrorCode.TooLarge, message: `frame of ${data.byteLength} bytes exceeds ${maxFrameBytes}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, code: ErrorCode.BadJson, message: "frame is not valid UTF-8 JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, code: ErrorCode.BadRequest, message: "expected a JSON object with an op" };
  }
  const op = (raw as { op?: unknown }).op;
  if (typeof op !== "string" || !KNOWN_OPS.has(op)) {
    return { ok: false, code: ErrorCode.UnknownOp, message: `unknown op ${JSON.stringify(op ?? null).slice(0, 40)}` };
  }
  const r = ClientMsg.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.join(".") || "(root)";
  return { ok: false, code: ErrorCode.BadRequest, message: `${op}: ${where}: ${issue?.message ?? "invalid"}`.slice(0, 200) };
}
