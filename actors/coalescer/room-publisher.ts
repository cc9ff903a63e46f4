/**
 * Publishes room messages with a per-room `seq` that goes up by exactly 1 per message,
 * across restarts and owner changes. Shared by the coalescer and the mover-ranker.
 *
 * - The first publish to a room (or the first after an error) reads the room's last
 *   message from JetStream (`last_by_subj`: ROOMS for snapshot rooms, ROOMLOG for
 *   stream rooms) and continues from its seq.
 * - Every publish carries `Nats-Expected-Last-Subject-Sequence`: if another writer
 *   (an old owner that has not let go yet) published in between, JetStream rejects
 *   ours, we re-read the room and publish again with the next seq. So two writers can
 *   never store the same seq twice or skip one.
 * - The msgID `r:<room>:<seq>` makes a retried publish (lost PubAck) store once; a
 *   publish that got no answer keeps the room's state, and the next one tries the same
 *   seq again (a leader election needs no room read to get through).
 * - Publishes to one room are serialised (a chain per room); different rooms run in parallel.
 */
import { headers } from "@nats-io/nats-core";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { encodeRoomUpdate, ROOM_SEQ_HEADER } from "../../lib/contracts/rooms.ts";
import { isStreamRoom, subjects } from "../../lib/contracts/subjects.ts";
import { msgIds, STREAM } from "../../lib/platform/streams.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JetStream error code for a failed `expected last subject sequence` check. */
const WRONG_LAST_SEQUENCE = 10071;

export class RoomPublishError extends Error {
  override readonly name = "RoomPublishError";
  constructor(readonly room: string, readonly seq: number, options?: { cause?: unknown }) {
    super(`could not publish ${room} seq ${seq}: ${(options?.cause as Error)?.message ?? options?.cause}`, options);
  }
}
export const isRoomPublishError = (e: unknown): e is RoomPublishError => e instanceof Error && e.name === "RoomPublishError";

export interface LastRoomMessage {
  seq: number;
  /** JetStream sequence of the message in its stream (0 when the room is empty). */
  streamSeq: number;
  /** The parsed envelope's `data`, when there is a message. */
  data?: unknown;
  ts?: number;
}

export interface Published {
  room: string;
  seq: number;
  /** The exact bytes stored and forwarded to clients. */
  bytes: Uint8Array;
  streamSeq: number;
  /** JetStream had already stored a message with this room and seq (another writer's): ours was dropped. */
  duplicate: boolean;
}

export interface RoomPublisherOptions {
  /**
   * PubAck timeout in ms, also the bound on reading a room's last message; default 5000.
   * While a room stream elects a leader a publish gets no ack: a short bound lets the
   * next flush try again sooner (the message itself already reached live subscribers).
   */
  timeoutMs?: number;
}

class LoadTimeoutError extends Error {
  override readonly name = "LoadTimeoutError";
}

function isWrongLastSequence(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string; api_error?: { err_code?: number } };
  return Number(e?.code) === WRONG_LAST_SEQUENCE || e?.api_error?.err_code === WRONG_LAST_SEQUENCE ||
    /wrong last sequence/i.test(e?.message ?? "");
}

export const streamOfRoom = (room: string): string => (isStreamRoom(room) ? STREAM.roomLog : STREAM.rooms);

export class RoomPublisher {
  readonly #state = new Map<string, { seq: number; streamSeq: number }>();
  readonly #chains = new Map<string, Promise<unknown>>();
  /** Rooms whose last publish got no answer: it may have been stored. */
  readonly #uncertain = new Set<string>();
  readonly #timeoutMs: number;
  /** Publishes rejected because another writer got there first (then retried). */
  conflicts = 0;

  constructor(private readonly js: JetStreamClient, private readonly jsm: JetStreamManager, opts: RoomPublisherOptions = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Read a room's last message from JetStream. Rejects on a network error. */
  async loadLast(room: string): Promise<LastRoomMessage> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = this.jsm.streams.getMessage(streamOfRoom(room), { last_by_subj: subjects.room(room) });
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LoadTimeoutError(`no answer reading the last message of ${room} within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    read.catch(() => {}); // a read that loses the race may still fail later
    const m = await Promise.race([read, late]).finally(() => clearTimeout(timer));
    if (!m) return { seq: 0, streamSeq: 0 };
    let body: { seq?: unknown; data?: unknown; ts?: unknown } = {};
    try {
      body = JSON.parse(dec.decode(m.data));
    } catch { /* keep seq from the header */ }
    const fromHeader = Number(m.header?.get(ROOM_SEQ_HEADER));
    const seq = Number.isInteger(fromHeader) && fromHeader > 0 ? fromHeader : Number(body.seq) || 0;
    const out: LastRoomMessage = { seq, streamSeq: m.seq, data: body.data };
    if (typeof body.ts === "number") out.ts = body.ts;
    return out;
  }

  /** Use a known state (e.g. just loaded) instead of reading it at the first publish. */
  prime(room: string, last: { seq: number; streamSeq: number }): void {
    this.#state.set(room, { seq: last.seq, streamSeq: last.streamSeq });
  }

  /** Forget a room (ownership moved): the next publish reads it again. */
  forget(room: string): void {
    this.#state.delete(room);
    this.#uncertain.delete(room);
  }

  /** The last seq this publisher stored or loaded for a room. */
  seqOf(room: string): number | undefined {
    return this.#state.get(room)?.seq;
  }

  /**
   * Publish `data` to `room` as the next seq, `ts` being the producer time. Rejects
   * with RoomPublishError after a network error or repeated conflicts; the next call
   * tries the same seq again (or reads the room, if it could not be read this time).
   */
  publish(room: string, data: unknown, ts: number): Promise<Published> {
    const prev = this.#chains.get(room) ?? Promise.resolve();
    const next = prev.then(() => this.#publishNow(room, data, ts), () => this.#publishNow(room, data, ts));
    this.#chains.set(room, next);
    void next.finally(() => {
      if (this.#chains.get(room) === next) this.#chains.delete(room);
    }).catch(() => {});
    return next;
  }

  /** Wait for every publish in flight. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#chains.values()]);
  }

  async #publishNow(room: string, data: unknown, ts: number): Promise<Published> {
    let seq = 0;
    let st: { seq: number; streamSeq: number } | undefined;
    try {
      st = this.#state.get(room) ?? (await this.loadLast(room));
      for (let attempt = 0;; attempt++) {
        seq = st.seq + 1;
        const bytes = enc.encode(encodeRoomUpdate(room, seq, ts, data));
        const h = headers();
        h.set(ROOM_SEQ_HEADER, String(seq));
        try {
          const ack = await this.js.publish(subjects.room(room), bytes, {
            msgID: msgIds.room(room, seq),
            headers: h,
            expect: { lastSubjectSequence: st.streamSeq },
            timeout: this.#timeoutMs,
          });
          this.#state.set(room, { seq, streamSeq: ack.seq });
          if (ack.duplicate && this.#uncertain.delete(room) && attempt < 3) {
            // Our own earlier try (it got no ack) was stored after all: this data goes next.
            st = { seq, streamSeq: ack.seq };
            continue;
          }
          this.#uncertain.delete(room);
          return { room, seq, bytes, streamSeq: ack.seq, duplicate: ack.duplicate };
        } catch (err) {
          if (!isWrongLastSequence(err) || attempt >= 3) throw err;
          this.conflicts++;
          st = await this.loadLast(room);
        }
      }
    } catch (err) {
      // Keep what we knew of the room (no room read needed for the next try, which matters
      // while the room's stream elects a leader): whether or not the failed publish was
      // stored, the next one with the same seq and expected last sequence is stored once,
      // found a duplicate of ours (then it goes on as the seq after), or conflicts and re-reads.
      if (st) {
        this.#state.set(room, st);
        this.#uncertain.add(room);
      } else this.#state.delete(room);
      throw new RoomPublishError(room, seq, { cause: err });
    }
  }
}
