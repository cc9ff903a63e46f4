/**
 * Test helpers for the coalescer and the ranker: publish tick batches to JetStream,
 * record room messages, wait for a condition.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { encode } from "../../lib/contracts/codec.ts";
import { msgIds } from "../../lib/platform/streams.ts";
import type { RoomEnvelope } from "../../lib/contracts/rooms.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { Tick } from "../../lib/contracts/messages.ts";

export interface TickInput extends Partial<Tick> {
  symbol: string;
  price: number;
}

let seqs = 0;

/** Publish one TickBatch per call (all ticks must share venue and symbol). */
export async function publishTicks(js: JetStreamClient, ticks: TickInput[]): Promise<void> {
  const now = Date.now();
  const full: Tick[] = ticks.map((t) => ({ venue: "sim", exchTs: now, recvTs: now, seq: ++seqs, ...t }));
  const first = full[0]!;
  const last = full[full.length - 1]!;
  await js.publish(subjects.tick(first.venue, first.symbol), encode({ v: 1, ticks: full }), {
    msgID: msgIds.ticks(first.venue, first.symbol, first.seq, last.seq),
  });
}

export interface Recorded extends RoomEnvelope {
  subject: string;
  at: number;
  header?: string;
}

/** Record every room message (core NATS subscription on `room.>`). */
export function recordRooms(nc: NatsConnection, filter = "room.>"): { all: Recorded[]; of(room: string): Recorded[]; stop(): void } {
  const all: Recorded[] = [];
  const dec = new TextDecoder();
  const sub = nc.subscribe(filter, {
    callback: (_e, m) => {
      const env = JSON.parse(dec.decode(m.data)) as RoomEnvelope;
      all.push({ ...env, subject: m.subject, at: Date.now(), header: m.headers?.get("Tf-Room-Seq") });
    },
  });
  return { all, of: (room) => all.filter((r) => r.room === room), stop: () => sub.unsubscribe() };
}

/** Resolve once `cond()` is true; reject after `timeoutMs` with `what` in the message. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True if the seqs go up by exactly 1. */
export function contiguous(seqs: number[]): boolean {
  return seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
}
