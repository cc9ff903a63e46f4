/**
 * The archiver's lag, polled every few seconds: per durable consumer, messages not yet
 * acknowledged (pending delivery + delivered but unacked) and the age in seconds of the
 * oldest of them. The archiver acks only once a file is durable, so "unacked" is exactly
 * "not in the lake yet".
 *
 * The oldest unacked message is the first one after the consumer's ack floor. MD has no
 * direct-get (which could filter by subject), so the probe reads the stream message at
 * ack floor + 1 whatever its subject: MD interleaves its subjects densely, so that is an
 * upper bound within milliseconds of the true age, never an underestimate.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Clock, TimerHandle } from "../runtime/mod.ts";

export interface ConsumerLag {
  consumer: string;
  messages: number;
  oldestSec: number;
}

export interface Lag {
  /** Sum over the consumers. */
  messages: number;
  /** The oldest over the consumers. */
  oldestSec: number;
  consumers: ConsumerLag[];
  /** Clock time of the probe. */
  at: number;
}

/** One consumer's lag now. Throws what JetStream throws (consumer or stream missing). */
export async function consumerLag(jsm: JetStreamManager, stream: string, consumer: string, now: number): Promise<ConsumerLag> {
  const ci = await jsm.consumers.info(stream, consumer);
  const messages = ci.num_pending + ci.num_ack_pending;
  if (messages === 0) return { consumer, messages, oldestSec: 0 };
  const first = await jsm.streams.getMessage(stream, { seq: ci.ack_floor.stream_seq + 1 }).catch(() => null);
  // A deleted/expired sequence: fall back to the next stored one (the stream's first).
  const m = first ?? (await jsm.streams.getMessage(stream, { seq: (await jsm.streams.info(stream)).state.first_seq }).catch(() => null));
  const oldestSec = m ? Math.max(0, (now - m.time.getTime()) / 1000) : 0;
  return { consumer, messages, oldestSec: Math.round(oldestSec * 10) / 10 };
}

/** Polls {@link consumerLag} for each consumer every `everyMs` on the injected clock. */
export class LagProbe {
  #last: Lag | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly consumers: string[],
    private readonly clock: Clock,
    private readonly everyMs = 5_000,
  ) {}

  get last(): Lag | undefined {
    return this.#last;
  }

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.#stopped = true;
    this.clock.clearTimeout(this.#timer);
  }

  /** One probe now (also run by the timer); failures keep the previous figure. */
  async poll(): Promise<Lag | undefined> {
    try {
      const now = this.clock.now();
      const rows = await Promise.all(this.consumers.map((c) => consumerLag(this.jsm, this.stream, c, now)));
      this.#last = {
        messages: rows.reduce((n, r) => n + r.messages, 0),
        oldestSec: rows.reduce((n, r) => Math.max(n, r.oldestSec), 0),
        consumers: rows,
        at: now,
      };
    } catch {
      // NATS down or a consumer being recreated: the next probe tries again.
    } finally {
      if (!this.#stopped) this.#timer = this.clock.setTimeout(() => void this.poll(), this.everyMs);
    }
    return this.#last;
  }
}
