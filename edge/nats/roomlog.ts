/**
 * Reads stored room messages from JetStream with short-lived ephemeral consumers:
 * the latest message of every room (start-up load, reload after a reconnect) and the
 * recent history of one stream room (replay for a reconnecting client).
 *
 * An explicit ephemeral consumer (no acks, memory storage, auto-deleted when idle)
 * tells us up front how many messages it will deliver, so an empty read costs no
 * fetch timeout; it is deleted as soon as the read is done. Works with nats-server 2.9
 * (no batched direct get needed).
 */
import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos, STREAM } from "../../lib/platform/streams.ts";
import { ROOM_SEQ_HEADER } from "../../lib/contracts/rooms.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { LogEntry, RoomLog } from "../core/replay.ts";
import { readSeq } from "../core/rooms.ts";

export class RoomLogReadError extends Error {
  override name = "RoomLogReadError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
export const isRoomLogReadError = (e: unknown): e is RoomLogReadError => e instanceof Error && e.name === "RoomLogReadError";

const BATCH = 500;

/** Deliver every message an ephemeral consumer with `cfg` sees, up to `max`; returns how many. */
export async function readEphemeral(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  cfg: Partial<ConsumerConfig>,
  onMsg: (m: JsMsg) => void,
  max = Number.MAX_SAFE_INTEGER,
): Promise<number> {
  const ci = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: nanos(30_000),
    ...cfg,
  });
  let n = 0;
  try {
    let left = Math.min(ci.num_pending, max);
    const c = js.consumers.getConsumerFromInfo(ci);
    while (left > 0) {
      const iter = await c.fetch({ max_messages: Math.min(left, BATCH), expires: 5000 });
      let got = 0;
      for await (const m of iter) {
        onMsg(m);
        got++;
        n++;
        left = Math.min(m.info.pending, max - n);
        if (left <= 0) break;
      }
      if (got === 0) throw new RoomLogReadError(`no messages from ${stream} within 5 s (${left} expected)`);
    }
  } finally {
    jsm.consumers.delete(stream, ci.name).catch(() => { /* expires by inactive_threshold anyway */ });
  }
  return n;
}

/** A stored message's per-room seq: the header when the producer set it, else the body. */
export function storedSeq(m: JsMsg, roomLen: number): number {
  const h = m.headers?.get(ROOM_SEQ_HEADER);
  const n = h ? Number(h) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : readSeq(m.data, roomLen);
}

/** ROOMLOG history within the replay window (RoomLog for core/replay.ts). */
export class JetStreamRoomLog implements RoomLog {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly windowMs: number,
    private readonly maxMessages = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  async read(topic: string, afterSeq: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    const roomLen = topic.length - "room.".length;
    try {
      await readEphemeral(this.js, this.jsm, STREAM.roomLog, {
        filter_subject: topic,
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(this.now() - this.windowMs).toISOString(),
      }, (m) => {
        const seq = storedSeq(m, roomLen);
        if (seq > afterSeq) out.push({ seq, bytes: m.data.slice() });
      }, this.maxMessages);
    } catch (e) {
      throw isRoomLogReadError(e) ? e : new RoomLogReadError(`cannot read ${topic} from ${STREAM.roomLog}: ${String(e)}`, { cause: e });
    }
    return out;
  }
}

/** The latest stored message of every room in ROOMS and ROOMLOG; calls `onRoom(subject, bytes)` for each. */
export async function loadLatest(
  js: JetStreamClient,
  jsm: JetStreamManager,
  onRoom: (subject: string, bytes: Uint8Array) => void,
  warn: (msg: string, props: Record<string, unknown>) => void,
): Promise<number> {
  let n = 0;
  for (const stream of [STREAM.rooms, STREAM.roomLog]) {
    try {
      n += await readEphemeral(js, jsm, stream, {
        filter_subject: subjects.allRooms,
        deliver_policy: DeliverPolicy.LastPerSubject,
      }, (m) => onRoom(m.subject, m.data.slice()));
    } catch (e) {
      // A missing stream (no producer has run yet) is not fatal: rooms fill in live.
      warn("could not load the latest room messages of {stream}: {error}", { stream, error: String(e) });
    }
  }
  return n;
}
