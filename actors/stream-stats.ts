/**
 * stream-stats actor: watches the JetStream streams and their consumers (messages,
 * bytes, pending and redelivered counts, consumer lag) and reports them in the host's
 * status and metrics, so `ops status` and Prometheus show backlog without extra tools.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Actor, ActorContext, ChildSpec } from "./runtime/mod.ts";
import type { HostContext } from "./host-context.ts";
import { STREAM } from "../lib/platform/streams.ts";
import type { Metrics } from "../lib/platform/metrics.ts";

export interface StreamStat {
  stream: string;
  messages: number;
  bytes: number;
  /** The stream's byte limit; -1 for none. */
  maxBytes: number;
  consumers: Array<{ name: string; pending: number; ackPending: number; redelivered: number }>;
}

type Tick = { type: "poll" };

export async function readStreamStats(jsm: JetStreamManager): Promise<StreamStat[]> {
  const out: StreamStat[] = [];
  for (const name of Object.values(STREAM)) {
    try {
      const info = await jsm.streams.info(name);
      const consumers: StreamStat["consumers"] = [];
      for await (const c of jsm.consumers.list(name)) {
        consumers.push({ name: c.name, pending: c.num_pending, ackPending: c.num_ack_pending, redelivered: c.num_redelivered });
      }
      out.push({ stream: name, messages: info.state.messages, bytes: info.state.bytes, maxBytes: info.config.max_bytes ?? -1, consumers });
    } catch {
      // A stream that does not exist yet is simply not reported.
    }
  }
  return out;
}

/** Share of a stream's byte limit that raises a warning; re-armed below {@link REARM_SHARE}. */
export const WARN_SHARE = 0.8;
const REARM_SHARE = 0.7;

/**
 * Streams that just crossed WARN_SHARE of their byte limit (each reported once until it
 * falls below REARM_SHARE again; `warned` keeps that state between polls).
 */
export function storageWarnings(stats: StreamStat[], warned: Set<string>): StreamStat[] {
  const out: StreamStat[] = [];
  for (const s of stats) {
    if (s.maxBytes <= 0) continue;
    const share = s.bytes / s.maxBytes;
    if (share >= WARN_SHARE && !warned.has(s.stream)) {
      warned.add(s.stream);
      out.push(s);
    } else if (share < REARM_SHARE) warned.delete(s.stream);
  }
  return out;
}

export function streamStatsActor(jsm: JetStreamManager, metrics: Metrics, everyMs = 5000): Actor<Tick> {
  let last: StreamStat[] = [];
  const warned = new Set<string>();
  const bytes = metrics.gauge("tickflow_stream_bytes", "Bytes stored in a JetStream stream");
  const maxBytes = metrics.gauge("tickflow_stream_max_bytes", "Byte limit of a JetStream stream (-1: none)");
  let timer: unknown;
  const msgs = metrics.gauge("tickflow_stream_messages", "Messages stored in a JetStream stream");
  const lag = metrics.gauge("tickflow_consumer_pending", "Messages not yet delivered to a consumer (lag)");
  const schedule = (ctx: ActorContext<Tick>) => {
    timer = ctx.clock.setTimeout(() => ctx.self.tell({ type: "poll" }), everyMs);
  };
  return {
    start(ctx) {
      ctx.self.tell({ type: "poll" });
    },
    async receive(_msg, ctx) {
      last = await readStreamStats(jsm);
      for (const s of storageWarnings(last, warned)) {
        ctx.log.warn("stream {stream} holds {bytes} bytes, {pct}% of its limit {max}: the oldest messages are dropped at 100% (raise MD_MAX_BYTES / ROOMLOG_MAX_BYTES, see README Operations)", {
          stream: s.stream, bytes: s.bytes, pct: Math.round((s.bytes / s.maxBytes) * 100), max: s.maxBytes,
        });
      }
      for (const s of last) {
        msgs.set(s.messages, { stream: s.stream });
        bytes.set(s.bytes, { stream: s.stream });
        maxBytes.set(s.maxBytes, { stream: s.stream });
        for (const c of s.consumers) lag.set(c.pending, { stream: s.stream, consumer: c.name });
      }
      if (!ctx.signal.aborted) schedule(ctx);
    },
    stop(ctx) {
      ctx.clock.clearTimeout(timer);
    },
    status() {
      return {
        streams: Object.fromEntries(last.map((s) => [s.stream, s.messages])),
        lag: Object.fromEntries(last.flatMap((s) => s.consumers.map((c) => [c.name, c.pending]))),
      };
    },
  };
}

export function streamStatsChild(host: HostContext): ChildSpec {
  return { id: "stream-stats", restart: "permanent", actor: () => streamStatsActor(host.jsm, host.metrics) };
}
