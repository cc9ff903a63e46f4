/**
 * Chaos: the S3 server under the archiver (in an actor host process) goes away while
 * ticks flow, then comes back. Finished files wait in staging meanwhile; afterwards the
 * staging drains by itself and the lake holds every tick of the MD stream exactly once.
 * (actors/archiver/s3*.test.ts cover the outage in depth; this is the whole-process view.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { waitForDrained } from "../../actors/archiver/testing.ts";
import { listFiles } from "../../lib/lake/fsutil.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { openLake, syncMirror } from "../../ops/lake/mod.ts";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { startS3Server, type S3ServerHandle } from "../s3-server.ts";
import { compareLakeWithStream, TickFeed } from "./feed.ts";
import { type Proc, Procs, report, secs, sleep, waitUntil } from "./procs.ts";

const procs = new Procs();
let ns: NatsServerHandle;
let s3: S3ServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let dir: string;
let env: Record<string, string>;
let host: Proc;
let feed: TickFeed | undefined;

const staged = async () => (await listFiles(join(dir, "staging"))).filter((f) => f.path.endsWith(".parquet"));

beforeAll(async () => {
  [ns, s3] = await Promise.all([startNatsServer(), startS3Server()]);
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  dir = await mkdtemp(join(tmpdir(), "tf-chaos-s3-"));
  env = {
    ...s3.env,
    NATS_URL: ns.url,
    HOST_ID: "chaos-archiver",
    ACTORS: "archiver",
    ARCHIVE_URL: `s3://${s3.bucket}/chaos`,
    ARCHIVE_STAGING_DIR: join(dir, "staging"),
    ARCHIVE_CACHE_DIR: join(dir, "cache"),
    ARCHIVE_DATASETS: "ticks",
    ARCHIVE_FLUSH_INTERVAL: "300ms",
    ARCHIVE_ACK_WAIT: "5s",
    ARCHIVE_UPLOAD_MAX_BACKOFF: "1s",
    ARCHIVE_DUCKDB_THREADS: "1",
    ARCHIVE_DECODE_WORKERS: "0",
  };
  host = procs.spawnTs("archiver-host", "actors/main.ts", env);
  await host.waitFor("ready with actors", 60_000);
}, 90_000);

afterAll(async () => {
  await feed?.stop();
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await Promise.all([ns?.cleanup(), s3?.cleanup()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("chaos: S3 goes away under the archiver", () => {
  it("finished files wait in staging during the outage, drain when S3 is back, and the lake holds every tick once", async () => {
    feed = new TickFeed(js, ["S3A-USD", "S3B-USD", "S3C-USD"], { everyMs: 50, perBatch: 3 });
    await sleep(1000);
    await waitUntil("first files uploaded", async () => (await jsm.consumers.info("MD", "archiver-ticks")).ack_floor.stream_seq > 0, 20_000, 100);

    await s3.stop();
    const downAt = Date.now();
    const stagedDuring = await waitUntil("files staged while S3 is down", async () => {
      const f = await staged();
      return f.length >= 3 ? f : undefined;
    }, 20_000, 100);
    await sleep(Math.max(0, 2000 - (Date.now() - downAt)));
    const stagedPeak = (await staged()).length;
    await s3.start();
    const upAt = Date.now();
    await feed.stop();

    await waitForDrained(jsm, ["archiver-ticks"], 40_000);
    const drained = await waitUntil("staging empty", async () => ((await staged()).length === 0 ? Date.now() : undefined), 20_000, 100);
    const lake = openLake(env);
    await syncMirror(lake);
    const check = await compareLakeWithStream(js, lake.localRoot);
    const unstored = [...feed.acked].filter((k) => !check.streamKeys.has(k)).length;

    expect(stagedDuring.length).toBeGreaterThanOrEqual(3);
    expect(unstored).toBe(0);
    expect(check.stream).toBeGreaterThan(0);
    expect(check.lost).toBe(0);
    expect(check.duplicates).toBe(0);
    expect(check.extra).toBe(0);
    expect(host.running).toBe(true);
    report(
      `s3 outage ${secs(upAt - downAt)} → ${stagedPeak} files staged, staging drained ${secs(drained - upAt)} after S3 was back, ` +
        `ticks in stream ${check.stream}, in the lake ${check.lake}, ticks lost ${check.lost}, duplicates ${check.duplicates}`,
    );
  }, 90_000);
});
