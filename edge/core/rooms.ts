/**
 * Rooms as the edge sees them: the latest message bytes per room (for snapshots on
 * join), subscriber counts, and byte-level readers for the `seq` and `ts` fields of a
 * room message so the hot path never JSON-parses a message.
 *
 * Rooms are keyed by their NATS subject (`room.<name>`), which is also the transport
 * topic: the subject string the NATS client hands us is reused as is.
 */
import { asSnapshot, UPDATE_PREFIX } from "../../lib/contracts/rooms.ts";
import { isStreamRoom, isValidRoom } from "../../lib/contracts/subjects.ts";

const PREFIX = new TextEncoder().encode(UPDATE_PREFIX);
// `{"type":"update","room":"<name>","seq":` — the body layout fixed by encodeRoomUpdate.
const ROOM_KEY = new TextEncoder().encode('"room":"');
const SEQ_KEY = new TextEncoder().encode('","seq":');
const TS_KEY = new TextEncoder().encode(',"ts":');

/** Room kinds, used as bounded metric labels. */
export type RoomKind = "ticker" | "ticker_all" | "movers" | "topcoins" | "markets" | "pulse" | "alerts" | "candles" | "book" | "trades" | "replay";

/** The kind of a valid room name, or undefined for a name no producer publishes. */
export function roomKind(room: string): RoomKind | undefined {
  if (!isValidRoom(room)) return undefined;
  if (room === "ticker.all") return "ticker_all";
  if (room === "movers" || room === "topcoins" || room === "markets" || room === "pulse" || room === "alerts") return room;
  const parts = room.split(".");
  if (parts[0] === "ticker" && parts.length === 2) return "ticker";
  if (parts[0] === "candles" && parts.length === 3) return "candles";
  if ((parts[0] === "book" || parts[0] === "trades") && parts.length === 2) return parts[0];
  // `tickflow replay`: replay.<id>.ticker.all and replay.<id>.ticker.<SYMBOL> (snapshot rooms, core NATS only).
  if (parts[0] === "replay" && /^[a-z0-9]{1,16}$/.test(parts[1] ?? "") && parts[2] === "ticker" && parts.length === 4) return "replay";
  return undefined;
}

/** The unsigned integer starting at `at`, or -1 if there is none. */
function readUint(b: Uint8Array, at: number): number {
  let v = 0;
  let i = at;
  for (; i < b.length && i < at + 16; i++) {
    const c = b[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return i === at ? -1 : v;
}

function matches(b: Uint8Array, at: number, key: Uint8Array): boolean {
  if (at + key.length > b.length) return false;
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key[i]) return false;
  return true;
}

/**
 * The `seq` of a room update whose room name has `roomLen` bytes, or -1 when `b` is
 * not laid out as {@link UPDATE_PREFIX} + room + seq. No allocation.
 */
export function readSeq(b: Uint8Array, roomLen: number): number {
  if (!matches(b, 0, PREFIX) || !matches(b, PREFIX.length, ROOM_KEY)) return -1;
  const at = PREFIX.length + ROOM_KEY.length + roomLen;
  if (!matches(b, at, SEQ_KEY)) return -1;
  return readUint(b, at + SEQ_KEY.length);
}

/** The producer timestamp (ms) of a room update, or -1. Used on sampled messages only. */
export function readTs(b: Uint8Array, roomLen: number): number {
  const seqAt = PREFIX.length + ROOM_KEY.length + roomLen + SEQ_KEY.length;
  let i = seqAt;
  while (i < b.length && b[i]! >= 48 && b[i]! <= 57) i++;
  return matches(b, i, TS_KEY) ? readUint(b, i + TS_KEY.length) : -1;
}

/** One room: its topic (`room.<name>`), latest message and who listens. */
export class Room {
  readonly stream: boolean;
  /** Latest update bytes and its seq (-1 until the first message). */
  bytes: Uint8Array | undefined;
  seq = -1;
  /** Sockets subscribed to the transport topic. */
  subscribers = 0;
  /** Sockets replaying this room; live messages are buffered for them meanwhile. */
  replaying: Set<{ bufferLive(seq: number, bytes: Uint8Array): void }> | undefined;
  private snap: Uint8Array | undefined;
  /** A rated subscription (`<base>@<period>`): its base room's topic and period; otherwise undefined. */
  rate: { baseTopic: string; periodMs: number; nextDue: number; lastSent: number } | undefined;

  constructor(readonly topic: string, readonly name: string, readonly kind: RoomKind) {
    this.stream = isStreamRoom(name);
  }

  set(bytes: Uint8Array, seq: number): void {
    this.bytes = bytes;
    this.seq = seq;
    this.snap = undefined;
  }

  /** The latest message as a `snapshot` frame; built once per update, on first demand. */
  snapshot(): Uint8Array | undefined {
    if (!this.bytes) return undefined;
    return (this.snap ??= asSnapshot(this.bytes));
  }

  /** Idle rooms (no data, nobody listening) are dropped so junk names cannot grow memory. */
  get disposable(): boolean {
    return this.bytes === undefined && this.subscribers === 0 && !this.replaying?.size;
  }
}

/** Periods a rated subscription may ask for. */
export const MIN_RATE_MS = 250;
export const MAX_RATE_MS = 60_000;

/** `ticker.BTC-USD@1s` → base `ticker.BTC-USD`, 1000 ms; undefined without a valid `@` suffix. */
export function parseRated(name: string): { base: string; periodMs: number } | undefined {
  const m = /^(.+)@(\d{1,5})(ms|s)$/.exec(name);
  if (!m) return undefined;
  const periodMs = Number(m[2]) * (m[3] === "s" ? 1000 : 1);
  if (periodMs < MIN_RATE_MS || periodMs > MAX_RATE_MS) return undefined;
  return { base: m[1]!, periodMs };
}

export class RoomStore {
  private readonly byTopic = new Map<string, Room>();
  /** Rooms of rated subscriptions (`<base>@<period>`), walked by the rate timer. */
  readonly rated = new Set<Room>();
  /** Clock for rated rooms' first due time. */
  now: () => number = Date.now;

  get size(): number {
    return this.byTopic.size;
  }

  /** The room for a NATS subject (hot path: no allocation when it exists). */
  byTopicName(topic: string): Room | undefined {
    return this.byTopic.get(topic);
  }

  /** Find or create a room by client name; undefined when the name is not a room. */
  open(name: string): Room | undefined {
    const topic = `room.${name}`;
    let r = this.byTopic.get(topic);
    if (r) return r;
    const rated = name.includes("@") ? parseRated(name) : undefined;
    const kind = roomKind(rated ? rated.base : name);
    // Only snapshot rooms can be thinned out: in a stream room every message matters.
    if (!kind || (rated && isStreamRoom(rated.base)) || (name.includes("@") && !rated)) return undefined;
    r = new Room(topic, name, kind);
    if (rated) {
      r.rate = { baseTopic: `room.${rated.base}`, periodMs: rated.periodMs, nextDue: this.now() + rated.periodMs, lastSent: -1 };
      this.rated.add(r);
    }
    this.byTopic.set(topic, r);
    return r;
  }

  /** Find or create a room from a NATS subject; undefined for subjects that are not rooms. */
  openTopic(topic: string): Room | undefined {
    return this.byTopic.get(topic) ?? (topic.startsWith("room.") ? this.open(topic.slice(5)) : undefined);
  }

  release(r: Room): void {
    if (!r.disposable) return;
    this.byTopic.delete(r.topic);
    this.rated.delete(r);
  }

  values(): IterableIterator<Room> {
    return this.byTopic.values();
  }
}
