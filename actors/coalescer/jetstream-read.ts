/**
 * One-shot reads of JetStream state through ordered consumers (no acks, server-side
 * state removed when done): the last message of every subject under a filter, or
 * everything since a start time. Used to rebuild state after a restart or takeover.
 */
import { DeliverPolicy, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";

export interface ReadOptions {
  /** Stop early when aborted. */
  signal?: AbortSignal;
  /** Give up waiting for the next message after this long (the stream is then assumed drained). Default 5000 ms. */
  idleMs?: number;
}

/**
 * Deliver the messages of `filter` in `stream` (the last per subject, or from
 * `startTime`) up to the end of the stream as it was when the read began. Resolves
 * with the number of messages delivered.
 */
export async function readStream(
  js: JetStreamClient,
  stream: string,
  filter: string,
  from: { lastPerSubject: true } | { startTime: Date } | { all: true },
  onMsg: (m: JsMsg) => void,
  opts: ReadOptions = {},
): Promise<number> {
  const policy = "lastPerSubject" in from
    ? { deliver_policy: DeliverPolicy.LastPerSubject }
    : "startTime" in from
    ? { opt_start_time: from.startTime.toISOString() }
    : { deliver_policy: DeliverPolicy.All };
  const c = await js.consumers.get(stream, { filter_subjects: filter, ...policy });
  const info = await c.info(true);
  if (info.num_pending === 0) return 0;
  const idleMs = opts.idleMs ?? 5000;
  let n = 0;
  const it = await c.consume({ max_messages: 1000, expires: idleMs, idle_heartbeat: Math.min(idleMs / 2, 2000) });
  const abort = () => void it.stop();
  opts.signal?.addEventListener("abort", abort, { once: true });
  // If the stream is drained while we read (age limit), no message says pending 0: stop after a quiet spell.
  let idleTimer = setTimeout(abort, idleMs);
  try {
    for await (const m of it) {
      clearTimeout(idleTimer);
      onMsg(m);
      n++;
      if (m.info.pending === 0) break;
      idleTimer = setTimeout(abort, idleMs);
    }
  } finally {
    clearTimeout(idleTimer);
    opts.signal?.removeEventListener("abort", abort);
    await it.close().catch(() => {});
  }
  return n;
}

/** The last message of every subject matching `filter`. */
export function readLastPerSubject(
  js: JetStreamClient,
  stream: string,
  filter: string,
  onMsg: (m: JsMsg) => void,
  opts?: ReadOptions,
): Promise<number> {
  return readStream(js, stream, filter, { lastPerSubject: true }, onMsg, opts);
}
