/**
 * Standalone ingest runner (no actor host): starts SHARDS connection shards, and the
 * CoinGecko poller when POLLER=true, straight from the environment. Used by tests, the
 * benchmark and anyone who wants ingest alone:
 *
 *   NATS_URL=nats://127.0.0.1:4222 SHARDS=2 npx tsx actors/ingest/run.ts
 *
 * Start-up, in order: validate config → connect NATS → ensure streams and buckets →
 * list products → start shards (+ poller) → print "ready". SIGTERM/SIGINT: shards
 * unsubscribe, flush buffered ticks and wait for their JetStream acks, close their
 * upstream connections and leave the membership; then the poller stops, NATS drains,
 * and the process exits 0 — within 10 s, or exits 1 if something hangs.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { getLogger } from "@logtape/logtape";
import type { NatsConnection } from "@nats-io/nats-core";
import { z } from "zod";
import { busSettings, isConfigError, loadConfig, logSettings, natsSettings, readEnv, v } from "../../lib/platform/config.ts";
import { ensureBuckets, ensureStreams } from "../../lib/platform/streams.ts";
import type { HostContext } from "../host-context.ts";
import { configureLogging } from "../../lib/platform/log.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { connectNats } from "../../lib/platform/nats.ts";
import { systemClock } from "../runtime/mod.ts";
import type { Tick } from "../../lib/contracts/messages.ts";
import { PollerService } from "./coingecko/poller.ts";
import { makeShard } from "./mod.ts";
import { resolveProducts } from "./products.ts";
import { coingeckoUrl, ingestSettings, venueEndpoints } from "./settings.ts";
import type { ShardService } from "./shard.ts";
import { TokenBucket } from "../../lib/platform/token-bucket.ts";
import { BUCKET } from "../../lib/platform/streams.ts";

export const runSettings = {
  ...natsSettings,
  ...busSettings,
  ...logSettings,
  ...ingestSettings,
  HOST_ID: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  POLLER: v.bool().default(false),
};

export interface IngestRun {
  readonly shards: ShardService[];
  readonly poller?: PollerService;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

export interface RunOptions {
  /** Bench hook: called with every acknowledged tick batch. */
  onAck?: (ticks: readonly Tick[], ackTs: number) => void;
}

/** Start ingest from `env`. Throws ConfigError on bad settings (before connecting anything). */
export async function runIngest(env: Record<string, string | undefined> = readEnv(), o: RunOptions = {}): Promise<IngestRun> {
  const cfg = loadConfig(runSettings, env);
  const log = getLogger(["tickflow", "ingest"]);
  const hostId = cfg.HOST_ID ?? `ingest-${Math.random().toString(36).slice(2, 8)}`;
  const nc = await connectNats(cfg, hostId);
  let publishNc: NatsConnection | undefined;
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { mdMaxAgeMs: cfg.MD_MAX_AGE, mdMaxBytes: cfg.MD_MAX_BYTES, roomLogMaxAgeMs: cfg.ROOMLOG_MAX_AGE, roomLogMaxBytes: cfg.ROOMLOG_MAX_BYTES, replicas: cfg.STREAM_REPLICAS });
    const kv = await ensureBuckets(nc, { leaseMs: cfg.LEASE_MS, replicas: cfg.STREAM_REPLICAS });
    const metrics = new Metrics();
    const host: HostContext = { hostId, nc, js: jetstream(nc), jsm, kv, clock: systemClock, metrics, env, leaseMs: cfg.LEASE_MS };
    const products = await resolveProducts(cfg, venueEndpoints(cfg));
    const bucket = new TokenBucket(cfg.SUBSCRIBE_RATE, cfg.SUBSCRIBE_BURST, systemClock);
    // Ticks leave on a connection of their own: a publish backlog must never delay the
    // lease renewals (and KV reads) on nc, or an overloaded shard loses its products.
    publishNc = await connectNats(cfg, `${hostId}-publish`);
    const pub = publishNc;
    const shards = Array.from({ length: cfg.SHARDS }, (_, i) => makeShard(host, cfg, products, i, bucket, pub));
    if (o.onAck) for (const sh of shards) sh.publisher.setOnAck(o.onAck);
    await Promise.all(shards.map((s) => s.start()));
    let poller: PollerService | undefined;
    if (cfg.POLLER) {
      poller = new PollerService({
        holderId: `${hostId}-poller`, js: host.js, kv: kv[BUCKET.leaders]!, leaseMs: cfg.LEASE_MS, clock: systemClock,
        settings: cfg, url: coingeckoUrl(cfg), metrics,
      });
      await poller.start();
    }
    const counts = Object.entries(products).map(([venue, ps]) => `${venue}=${ps?.length ?? 0}`).join(" ");
    log.info("ingest ready: {shards} shard(s), products {counts}", { shards: shards.length, counts });
    let stopping: Promise<void> | undefined;
    return {
      shards,
      ...(poller ? { poller } : {}),
      metrics,
      stop: () =>
        (stopping ??= (async () => {
          await Promise.all(shards.map((s) => s.stop()));
          await poller?.stop();
          await pub.drain().catch(() => pub.close());
          await nc.drain().catch(() => nc.close());
        })()),
    };
  } catch (err) {
    await publishNc?.close().catch(() => {});
    await nc.close().catch(() => {});
    throw err;
  }
}

async function main(): Promise<void> {
  const env = readEnv();
  let run: IngestRun;
  try {
    const lc = loadConfig(logSettings, env);
    await configureLogging(lc.LOG_LEVEL, lc.LOG_FORMAT);
    run = await runIngest(env);
  } catch (err) {
    console.error(isConfigError(err) ? err.message : `ingest failed to start: ${String(err)}`);
    process.exit(isConfigError(err) ? 2 : 1);
  }
  console.log("ready");
  const shutdown = (sig: string) => {
    console.log(`${sig}: stopping`);
    const hard = setTimeout(() => {
      console.error("shutdown took longer than 9.5 s; exiting 1");
      process.exit(1);
    }, 9_500);
    hard.unref();
    run.stop().then(() => {
      console.log("stopped");
      process.exit(0);
    }, (err) => {
      console.error(`shutdown failed: ${String(err)}`);
      process.exit(1);
    });
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
