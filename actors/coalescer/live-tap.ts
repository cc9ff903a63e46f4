/**
 * Ticks straight off the bus while a partition's consumer is stalled. A JetStream
 * consumer delivers only what MD has stored, and MD stores nothing while it elects a
 * leader: on nats-server 2.9 that is 4–9 s after its leader dies (raft election
 * timeout), and a consumer whose own leader died waits for missed heartbeats before it
 * pulls again. The shards' publishes still reach every core subscriber of the subject
 * at once, so when a partition's consumer has been quiet for `quietMs` the coalescer
 * also subscribes to the partition's tick subject on core NATS and applies what comes
 * (the latest-per-symbol logic ignores a tick it already has, so the same tick from
 * both paths counts once). The core subscription ends as soon as the consumer delivers
 * a message with nothing pending behind it (caught up), or the partition is given up.
 *
 * In steady state nothing is subscribed: the only cost is one time stamp per consumer
 * message and a check per flush. Acks, and so the at-least-once guarantee, stay with
 * the consumer: a tick seen only on core NATS is shown, never acked.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { Clock } from "../runtime/mod.ts";

export interface LiveTapOptions {
  nc: NatsConnection;
  clock: Clock;
  /** A partition's consumer quiet this long (ms) starts the core subscription. */
  quietMs: number;
  /** A tick message (TickBatch bytes) that arrived on core NATS. */
  onData(data: Uint8Array, subject: string): void;
  /** A core subscription started (`on`) or ended. */
  onSwitch?(partition: number, on: boolean): void;
}

export class LiveTap {
  readonly #o: LiveTapOptions;
  /** Clock time of the last consumer delivery per partition (or when it was first owned). */
  readonly #lastAt = new Map<number, number>();
  readonly #subs = new Map<number, Subscription>();
  /** Core subscriptions started so far. */
  started = 0;
  /** Tick messages applied from core NATS. */
  messages = 0;

  constructor(o: LiveTapOptions) {
    this.#o = o;
  }

  /** Partitions with a core subscription now. */
  get tapped(): number[] {
    return [...this.#subs.keys()].sort((a, b) => a - b);
  }

  /** The consumer delivered a message of partition `p`; `pending` is read only while tapped (`() => info.pending`). */
  delivered(p: number, pending: () => number): void {
    this.#lastAt.set(p, this.#o.clock.now());
    const sub = this.#subs.get(p);
    if (sub && pending() === 0) this.#stop(p, sub);
  }

  /** Per flush: tap owned partitions whose consumer is quiet; untap those no longer owned. */
  check(owned: readonly number[]): void {
    const now = this.#o.clock.now();
    const own = new Set(owned);
    for (const [p, sub] of this.#subs) if (!own.has(p)) this.#stop(p, sub);
    for (const p of [...this.#lastAt.keys()]) if (!own.has(p)) this.#lastAt.delete(p);
    for (const p of owned) {
      const last = this.#lastAt.get(p);
      if (last === undefined) this.#lastAt.set(p, now);
      else if (now - last >= this.#o.quietMs && !this.#subs.has(p)) this.#start(p);
    }
  }

  /** End every core subscription. */
  close(): void {
    for (const [p, sub] of this.#subs) this.#stop(p, sub);
    this.#lastAt.clear();
  }

  #start(p: number): void {
    const sub = this.#o.nc.subscribe(subjects.tickPartition(p), {
      callback: (err, m: Msg) => {
        if (err) return;
        this.messages++;
        this.#o.onData(m.data, m.subject);
      },
    });
    this.#subs.set(p, sub);
    this.started++;
    this.#o.onSwitch?.(p, true);
  }

  #stop(p: number, sub: Subscription): void {
    sub.unsubscribe();
    this.#subs.delete(p);
    this.#o.onSwitch?.(p, false);
  }
}
