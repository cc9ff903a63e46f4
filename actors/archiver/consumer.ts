/**
 * JetStream side of the archiver: one durable pull consumer per dataset on the MD
 * stream (nats-server 2.9 allows one filter subject per consumer), explicit acks, and
 * the fetch loop that feeds the archiver and stops pulling while staging is full.
 */
import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "@logtape/logtape";
import { nanos, STREAM } from "../../lib/platform/streams.ts";
import type { Archiver } from "./archiver.ts";
import type { Dataset } from "../../lib/lake/datasets.ts";
import type { Delivery } from "./held.ts";
import { sleep } from "./options.ts";

export interface ConsumerSettings {
  /** Durable name prefix; consumers are `<prefix>-<dataset>`. */
  durablePrefix: string;
  ackWaitMs: number;
  maxAckPending: number;
  /** Messages per fetch. */
  batch: number;
}

export const durableName = (prefix: string, ds: Dataset): string => `${prefix}-${ds.name}`;

/** Create the dataset's durable consumer, or update the settings of an existing one. Idempotent. */
export async function ensureConsumer(jsm: JetStreamManager, ds: Dataset, s: ConsumerSettings): Promise<string> {
  const name = durableName(s.durablePrefix, ds);
  const cfg: Partial<ConsumerConfig> = {
    durable_name: name,
    filter_subject: ds.subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(s.ackWaitMs),
    max_ack_pending: s.maxAckPending,
    max_deliver: -1,
    max_batch: Math.max(s.batch, 1),
  };
  try {
    await jsm.consumers.info(STREAM.md, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await jsm.consumers.add(STREAM.md, cfg);
    return name;
  }
  await jsm.consumers.update(STREAM.md, name, {
    ack_wait: cfg.ack_wait!,
    max_ack_pending: cfg.max_ack_pending!,
    max_deliver: -1,
    max_batch: cfg.max_batch!,
  });
  return name;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string; api_error?: { err_code?: number } };
  return e?.name === "ConsumerNotFoundError" || e?.api_error?.err_code === 10014 || /not found/i.test(e?.message ?? "");
}

const ACK = new TextEncoder().encode("+ACK");
const TERM = new TextEncoder().encode("+TERM");
const WPI = new TextEncoder().encode("+WPI");
const NAK_2S = new TextEncoder().encode(`-NAK {"delay":${nanos(2_000)}}`);

/**
 * A delivery whose acks are published to the message's reply subject (the JetStream
 * ack protocol: +ACK, +TERM, +WPI, -NAK) without keeping the JsMsg, which holds a view
 * of the client's socket buffer. Held for seconds by the thousand, those views kept
 * whole read buffers alive (gigabytes of RSS).
 */
export function lightDelivery(m: JsMsg, publish: (subject: string, data: Uint8Array) => void): Delivery {
  // The reply subject is on every JsMsg (it carries the delivery info) though not in its type.
  const reply = (m as JsMsg & { reply?: string }).reply;
  if (!reply) return toDelivery(m);
  return new ReplyDelivery(m.seq, m.info.deliveryCount, m.subject, m.data, reply, publish);
}

/**
 * {@link lightDelivery}'s value: a class, not an object of closures (five closures per
 * message, each also named by the TypeScript loader's `__name` helper, were 3 % of the
 * main thread in a profile of bench:archive).
 */
class ReplyDelivery implements Delivery {
  #done = false;
  constructor(
    readonly seq: number,
    readonly deliveryCount: number,
    readonly subject: string,
    public data: Uint8Array,
    private readonly reply: string,
    private readonly publish: (subject: string, data: Uint8Array) => void,
  ) {}
  #send(p: Uint8Array, final = true): void {
    if (this.#done) return;
    this.#done = final;
    this.publish(this.reply, p);
  }
  ack(): void {
    this.#send(ACK);
  }
  term(): void {
    this.#send(TERM);
  }
  nak(): void {
    this.#send(NAK_2S);
  }
  working(): void {
    this.#send(WPI, false);
  }
}

export function toDelivery(m: JsMsg): Delivery {
  return {
    seq: m.seq,
    deliveryCount: m.info.deliveryCount,
    subject: m.subject,
    data: m.data,
    ack: () => m.ack(),
    // No reason text: servers before 2.11 do not take one.
    term: () => m.term(),
    nak: () => m.nak(2_000),
    working: () => m.working(),
  };
}

/**
 * Idle heartbeats come every expires / 2, and the client gives up on a fetch after two
 * missed: the messages the server sends after that are dropped and wait for ack_wait
 * (60 s) before they come again, which holds the consumer's ack floor (the lag) back
 * for a minute. A starved event loop (a loaded host, a long GC) missed 2 × 1 s with
 * the old 2 s fetches; 10 s fetches miss only after 10 s. A fetch on a quiet subject
 * still hands on what it has after CHUNK_WAIT_MS (timer below), not at its end.
 */
const FETCH_EXPIRES_MS = 10_000;
const CHUNK_WAIT_MS = 200;

/** Messages handed to the archiver at a time (a fetch can be larger). */
const INGEST_CHUNK = 512;

/**
 * Fetch and ingest until `signal` aborts. Fetch errors (connection lost, consumer
 * gone) are logged and retried after a pause; an ingest error ends the loop (fatal).
 */
export async function pullLoop(
  js: JetStreamClient,
  ds: Dataset,
  durable: string,
  archiver: Archiver,
  o: {
    batch: number;
    /** Bytes per fetch (the in-flight share of ARCHIVE_MEMORY). */
    maxBytes?: number;
    publish?: (subject: string, data: Uint8Array) => void;
    log: Logger;
    signal: AbortSignal;
  },
): Promise<void> {
  const { signal, log, publish } = o;
  let failures = 0;
  let consumer: Consumer | undefined;
  let avgBytes = 1024;
  let chunkStarted = 0;
  let seen = 0;
  let seenBytes = 0;
  // Ingests run one after another on a chain. The fetch loop never waits for them inside
  // a fetch: messages the server already sent are taken off the iterator at once (a
  // consumer slow to drain it misses heartbeats, and the client then drops the rest,
  // which sit unacked until ack_wait). Before the next fetch it waits for the ingests of
  // the fetch before last, so at most two fetches of messages are in flight.
  let chain: Promise<void> = Promise.resolve();
  let previous: Promise<void> = Promise.resolve();
  const submit = (c: Delivery[]) => {
    chain = chain.then(() => archiver.ingest(ds, c)).catch((e) => {
      throw isIngestError(e) ? e : new IngestError(`ingest into ${ds.name} failed`, { cause: e });
    });
    chain.catch(() => undefined); // observed below; avoid an unhandled rejection meanwhile
  };
  const settle = async (p: Promise<void>) => {
    try {
      await p;
    } catch (e) {
      throw isIngestError(e) ? e.cause : e;
    }
  };
  while (!signal.aborted) {
    await settle(previous);
    await archiver.waitForCapacity(signal);
    if (signal.aborted) break;
    let chunk: Delivery[] = [];
    try {
      consumer ??= await js.consumers.get(STREAM.md, durable);
      // Fetch fewer messages when they are large, so a fetch stays inside its share of
      // ARCHIVE_MEMORY (max_bytes would do it, but the client refuses it with max_messages).
      const max = o.maxBytes ? Math.max(1, Math.min(o.batch, Math.floor(o.maxBytes / avgBytes))) : o.batch;
      const iter = await consumer.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
      const stop = () => iter.stop();
      signal.addEventListener("abort", stop, { once: true });
      // A slow trickle is handed on after CHUNK_WAIT_MS, not held for the whole fetch.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const handOn = () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (chunk.length) submit(chunk);
        chunk = [];
      };
      try {
        for await (const m of iter) {
          seenBytes += m.data.length;
          seen++;
          if (chunk.length === 0) {
            chunkStarted = Date.now();
            timer = setTimeout(handOn, CHUNK_WAIT_MS);
          }
          chunk.push(publish ? lightDelivery(m, publish) : toDelivery(m));
          if (chunk.length >= INGEST_CHUNK || Date.now() - chunkStarted >= CHUNK_WAIT_MS) handOn();
        }
      } finally {
        signal.removeEventListener("abort", stop);
        if (timer) clearTimeout(timer);
      }
      failures = 0;
      if (seen >= 64) {
        avgBytes = Math.max(64, seenBytes / seen);
        seen = 0;
        seenBytes = 0;
      }
    } catch (e) {
      consumer = undefined; // look it up again (it may have been recreated)
      failures++;
      if (failures === 1 || failures % 30 === 0) {
        log.warn("fetch from {durable} failed ({failures}x), retrying: {error}", { durable, failures, error: (e as Error).message });
      }
      await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)), signal);
    }
    // Whatever arrived before an abort or an error is still processed, so it is not left to ack_wait.
    if (chunk.length) submit(chunk);
    previous = chain;
  }
  await settle(chain);
}

class IngestError extends Error {
  override name = "IngestError";
}
const isIngestError = (e: unknown): e is IngestError => e instanceof Error && e.name === "IngestError";
