/**
 * Helpers for the ingest integration tests: a real nats-server with the streams and
 * buckets, the real simulator, settings with test-sized timings, and readers of what
 * JetStream stored.
 */
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream, type JetStreamClient, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { BUCKET, ensureBuckets, ensureStreams, STREAM } from "../../lib/platform/streams.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { ingestSettings, type IngestSettings } from "./settings.ts";

export interface Bus {
  ns: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: Record<string, KV>;
  close(): Promise<void>;
}

export async function startBus(leaseMs = 2000): Promise<Bus> {
  const ns = await startNatsServer();
  const nc = await connect({ servers: ns.url });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  const kv = await ensureBuckets(nc, { leaseMs, replicas: 1 });
  return {
    ns, nc, js: jetstream(nc), jsm, kv,
    async close() {
      await nc.close().catch(() => {});
      await ns.cleanup();
    },
  };
}

export function testSettings(env: Record<string, string>): IngestSettings {
  return loadConfig(ingestSettings, {
    SUBSCRIBE_BATCH_MS: "20",
    RECONNECT_BASE_MS: "50",
    RECONNECT_MAX_MS: "500",
    STALE_MS: "3000",
    BOOK_INTERVAL_MS: "200",
    BAD_FRAME_LOG_MS: "60000",
    SUBSCRIBE_RATE: "50",
    SUBSCRIBE_BURST: "20",
    ...env,
  });
}

export interface Stored<T> {
  subject: string;
  seq: number;
  value: T;
}

/** Every message stored in MD under `filter`, in stream order. */
export async function readStored<T = unknown>(js: JetStreamClient, jsm: JetStreamManager, filter: string): Promise<Array<Stored<T>>> {
  const info = await jsm.streams.info(STREAM.md, { subjects_filter: filter } as never);
  const total = Object.values((info.state as { subjects?: Record<string, number> }).subjects ?? {}).reduce((a, b) => a + b, 0);
  const out: Array<Stored<T>> = [];
  if (total === 0) return out;
  const c = await js.consumers.get(STREAM.md, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
  const it = await c.consume();
  for await (const m of it) {
    out.push({ subject: m.subject, seq: m.seq, value: m.json<T>() });
    if (m.info.pending === 0) break;
  }
  await it.close();
  return out;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { BUCKET };
