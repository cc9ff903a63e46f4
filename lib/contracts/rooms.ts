/**
 * Room messages in the exact bytes a browser receives.
 *
 * A producer (coalescer, mover-ranker) serialises a room message once, with
 * {@link encodeRoomUpdate}; the edge forwards those bytes unchanged. Every room
 * message therefore starts with the fixed prefix `{"type":"update",` which lets the
 * edge turn a stored message into a `snapshot` frame by swapping the prefix, without
 * parsing the rest ({@link asSnapshot}).
 */
import { z } from "zod";

export const UPDATE_PREFIX = '{"type":"update",';
export const SNAPSHOT_PREFIX = '{"type":"snapshot",';

/** Header carrying a room message's per-room sequence number (so readers need not parse the body). */
export const ROOM_SEQ_HEADER = "Tf-Room-Seq";

/** Serialise a room update. `ts` is the producer's clock in ms, so clients can measure latency. */
export function encodeRoomUpdate(room: string, seq: number, ts: number, data: unknown): string {
  // Field order is part of the contract (prefix above); JSON.stringify keeps insertion order.
  return `${UPDATE_PREFIX}"room":${JSON.stringify(room)},"seq":${seq},"ts":${ts},"data":${JSON.stringify(data)}}`;
}

const encoder = new TextEncoder();
const UPDATE_BYTES = encoder.encode(UPDATE_PREFIX);
const SNAPSHOT_BYTES = encoder.encode(SNAPSHOT_PREFIX);

/** Same message as a `snapshot` frame. Throws a TypeError if `bytes` is not a room update. */
export function asSnapshot(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < UPDATE_BYTES.length; i++) {
    if (bytes[i] !== UPDATE_BYTES[i]) throw new TypeError("not a room update: wrong prefix");
  }
  const out = new Uint8Array(bytes.length - UPDATE_BYTES.length + SNAPSHOT_BYTES.length);
  out.set(SNAPSHOT_BYTES, 0);
  out.set(bytes.subarray(UPDATE_BYTES.length), SNAPSHOT_BYTES.length);
  return out;
}

/** The envelope every room message has; `data` depends on the room (see lib/contracts/protocol.ts). */
export const RoomEnvelope = z.object({
  type: z.enum(["update", "snapshot"]),
  room: z.string(),
  seq: z.number().int().nonnegative(),
  ts: z.number().int().nonnegative(),
  data: z.unknown(),
});
export type RoomEnvelope = z.infer<typeof RoomEnvelope>;
