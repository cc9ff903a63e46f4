/**
 * One durable pull consumer per owned partition, filtered to that partition's tick
 * subjects (`md.tick.*.*.p<k>`): nats-server 2.9 allows one filter subject per
 * consumer, and the partition token in the subject makes one filter enough. With N
 * coalescers each one receives, decodes and acks only ~1/N of the ticks.
 *
 * Used when COALESCER_PARTITIONS equals the bus's TICK_PARTITIONS (the default, 16);
 * otherwise the service falls back to one consumer on `md.tick.>` and skips by subject.
 */
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos, STREAM } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";

/** Pull request lifetime; idle heartbeats come every half of it (see #add). */
export const PULL_EXPIRES_MS = 3000;

export interface PartitionConsumersOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Prefix of the durable names: `<prefix>_p<k>`. */
  durable: string;
  ackWaitMs: number;
  maxAckPending: number;
  inactiveMs: number;
  /** A message of partition `p`'s consumer. */
  onMessage(m: JsMsg, p: number): void;
  /** A consumer was deleted under us (the actor should crash and restart). */
  onLost(err: Error): void;
}

export class PartitionConsumers {
  readonly #o: PartitionConsumersOptions;
  readonly #live = new Map<number, ConsumerMessages>();
  #closed = false;

  constructor(o: PartitionConsumersOptions) {
    this.#o = o;
  }

  name(p: number): string {
    return `${this.#o.durable}_p${p}`;
  }

  get partitions(): number[] {
    return [...this.#live.keys()].sort((a, b) => a - b);
  }

  /**
   * Consume exactly `parts`: start consumers for new partitions (deliver policy new:
   * what came before is read by the takeover from the last message per subject), stop
   * and delete those given up. Resolves when the new ones are consuming.
   */
  async set(parts: readonly number[], opts: { keepRemoved?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    const want = new Set(parts);
    const removed = [...this.#live.keys()].filter((p) => !want.has(p));
    if (opts.keepRemoved) {
      // The lease was lost (NATS away): stop delivering but leave the consumers. Deleting
      // them waited out a 5 s API timeout while NATS was down, and held up the takeover
      // once it was back; the same member re-adds them (same name and config) or the
      // server removes them after inactive_threshold.
      for (const p of removed) {
        const messages = this.#live.get(p);
        this.#live.delete(p);
        void messages?.close().catch(() => {});
      }
    }
    // In parallel: after an outage all 16 come back at once, and one after another (three
    // requests each) is seconds of ticker silence on a busy machine.
    else await Promise.all(removed.map((p) => this.#drop(p)));
    const added = await Promise.allSettled([...want].filter((p) => !this.#live.has(p)).map((p) => this.#add(p)));
    const failed = added.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Stop deliveries (consumers stay, so the final flush can still ack). */
  async halt(): Promise<void> {
    this.#closed = true;
    for (const m of this.#live.values()) await m.close().catch(() => {});
  }

  /** Stop and delete every consumer. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of [...this.#live.keys()]) await this.#drop(p);
  }

  async #add(p: number): Promise<void> {
    const { js, jsm } = this.#o;
    const name = this.name(p);
    await jsm.consumers.add(STREAM.md, {
      durable_name: name,
      filter_subject: subjects.tickPartition(p),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: nanos(this.#o.ackWaitMs),
      max_ack_pending: this.#o.maxAckPending,
      // A member that dies without deleting its consumers leaves them to the server to clean up.
      inactive_threshold: nanos(this.#o.inactiveMs),
    });
    const messages = await (await js.consumers.get(STREAM.md, name)).consume({
      max_messages: 1000,
      // Pull requests live on the consumer's leader: when that node dies they die with it,
      // and the client only pulls again after two missed idle heartbeats (expires / 2
      // each; 15 s apiece by default). 3 s keeps that stall short for ~1 idle pull/s.
      expires: PULL_EXPIRES_MS,
      callback: (m) => this.#o.onMessage(m, p),
    });
    this.#live.set(p, messages);
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === "consumer_deleted" || s.type === "consumer_not_found" || s.type === "stream_not_found") {
          if (this.#live.get(p) === messages && !this.#closed) this.#o.onLost(new Error(`tick consumer ${name}: ${s.type}`));
          return;
        }
      }
    })();
  }

  async #drop(p: number): Promise<void> {
    const messages = this.#live.get(p);
    this.#live.delete(p);
    await messages?.close().catch(() => {});
    await this.#o.jsm.consumers.delete(STREAM.md, this.name(p)).catch(() => {});
  }
}

/**
 * The fallback when COALESCER_PARTITIONS is not the subjects' TICK_PARTITIONS: one
 * durable consumer on all of `md.tick.>` (the caller skips others' symbols by subject),
 * created and consumed; `onLost` when it is deleted under us. A member that dies without
 * deleting it leaves it to the server to clean up after `inactiveMs`.
 */
export async function consumeAllTicks(
  js: JetStreamClient,
  jsm: JetStreamManager,
  o: Omit<PartitionConsumersOptions, "js" | "jsm" | "onMessage"> & { onMessage(m: JsMsg): void },
): Promise<ConsumerMessages> {
  await jsm.consumers.add(STREAM.md, {
    durable_name: o.durable,
    filter_subject: subjects.allTicks,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    ack_wait: nanos(o.ackWaitMs),
    max_ack_pending: o.maxAckPending,
    inactive_threshold: nanos(o.inactiveMs),
  });
  const consumer = await js.consumers.get(STREAM.md, o.durable);
  const messages = await consumer.consume({ max_messages: 2000, expires: PULL_EXPIRES_MS, callback: o.onMessage });
  void (async () => {
    for await (const s of messages.status()) {
      if (s.type === "consumer_deleted" || s.type === "consumer_not_found" || s.type === "stream_not_found") {
        o.onLost(new Error(`tick consumer ${o.durable}: ${s.type}`));
        return;
      }
    }
  })();
  return messages;
}
