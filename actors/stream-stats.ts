/**
 * stream-stats actor: watches the JetStream streams and their consumers (messages,
 * bytes, pending and redelivered counts, consumer lag) and reports them in the host's
 * status and metrics, so `ops status` and Prometheus show backlog without extra tools.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Actor, ActorContext, ChildSpec } from "./runtime/types.ts";
import type { HostContext } from "./host-context.ts";
import { STREAM } from "./bus/streams.ts";
import type { Metrics } from "./metrics.ts";

export interface StreamStat {
  stream: string;
  messages: number;
  bytes: number;
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
      out.push({ stream: name, messages: info.state.messages, bytes: info.state.bytes, consumers });
    } catch {
      // A stream that does not exist yet is simply not reported.
    }
  }
  return out;
}

export function streamStatsActor(jsm: JetStreamManager, metrics: Metrics, everyMs = 5000): Actor<Tick> {
  let last: StreamStat[] = [];
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
      for (const s of last) {
        msgs.set(s.messages, { stream: s.stream });
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
