import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JetStreamClient, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { getLogger } from "@logtape/logtape";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { startS3Server, type S3ServerHandle } from "../s3-server.ts";
import { openLake } from "../../ops/lake/mod.ts";
import { queryLake } from "../../ops/lake/mod.ts";
import { compactDay } from "../../ops/lake/mod.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../../actors/runtime/mod.ts";
import { archiverSettings } from "../../actors/archiver/mod.ts";
import { listFiles } from "../../lib/lake/fsutil.ts";
import { ArchiverService } from "../../actors/archiver/mod.ts";
import { HOUR, publishTicks, T0, waitForDrained } from "../../actors/archiver/testing.ts";

const until = async (what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("archiver with an S3 target (s3rver)", () => {
  let ns: NatsServerHandle;
  let s3: S3ServerHandle;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let dir: string;
  let env: Record<string, string>;
  let published = 0;

  const startService = async (metrics: Metrics, extra: Record<string, string> = {}) =>
    await ArchiverService.start({
      js,
      jsm,
      metrics,
      clock: systemClock,
      log: getLogger(["tickflow", "archiver", "test"]),
      config: loadConfig(archiverSettings, { ...env, ...extra }),
      flush: () => nc.flush(),
      onFatal: (e) => {
        throw e;
      },
    });

  beforeAll(async () => {
    [ns, s3] = await Promise.all([startNatsServer(), startS3Server()]);
    nc = await connect({ servers: ns.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    dir = await mkdtemp(join(tmpdir(), "tf-s3arch-"));
    env = {
      ...s3.env,
      ARCHIVE_URL: `s3://${s3.bucket}/market-data`,
      ARCHIVE_STAGING_DIR: join(dir, "staging"),
      ARCHIVE_CACHE_DIR: join(dir, "cache"),
      ARCHIVE_DURABLE: "s3arch",
      ARCHIVE_DATASETS: "ticks",
      ARCHIVE_FLUSH_INTERVAL: "200ms",
      ARCHIVE_FLUSH_ROWS: "1000",
      ARCHIVE_DUCKDB_THREADS: "1",
      ARCHIVE_UPLOAD_MAX_BACKOFF: "300ms",
    };
  });
  afterAll(async () => {
    await nc?.close();
    await Promise.all([ns?.cleanup(), s3?.cleanup()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("archiver uploads Parquet to S3, in parts above the multipart threshold, and every tick reads back", async () => {
    const svc = await startService(new Metrics(), { ARCHIVE_MULTIPART_BYTES: "1", ARCHIVE_PART_BYTES: "4096" });
    const ticks = await publishTicks(js, { symbols: ["BTC-USD", "ETH-USD"], messages: 60, perMessage: 50 });
    published += ticks.length;
    await waitForDrained(jsm, ["s3arch-ticks"]);
    await svc.stop();
    const lake = openLake(env);
    const keys = (await lake.target.list("ticks/")).map((o) => o.key);
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(k).toMatch(/^ticks\/date=2025-11-22\/hour=[56]\/exchange=sim\/\d+-\d+\.parquet$/);
    const r = await queryLake(lake, "SELECT count(*) AS n, count(DISTINCT (symbol, venue_seq)) AS d FROM ticks");
    expect(r.rows).toEqual([[BigInt(published), BigInt(published)]]);
  });

  it("S3 down for a while, then up: pulling pauses when the staging budget is full, nothing is lost, staging drains", async () => {
    const metrics = new Metrics();
    const svc = await startService(metrics, { ARCHIVE_STAGING_MAX_BYTES: "20000" });
    await s3.stop();
    const ticks = await publishTicks(js, { symbols: ["SOL-USD", "ADA-USD"], messages: 200, perMessage: 40, start: T0 + 2 * HOUR });
    published += ticks.length;
    const backpressure = metrics.gauge("archiver_backpressure", "");
    await until("backpressure", () => backpressure.get() === 1);
    // While the budget is full nothing more is pulled: JetStream holds new data...
    const more = await publishTicks(js, { symbols: ["DOT-USD"], messages: 30, perMessage: 40, start: T0 + 2 * HOUR });
    published += more.length;
    await new Promise((r) => setTimeout(r, 1500));
    const ci = await jsm.consumers.info("MD", "s3arch-ticks");
    expect(ci.num_pending).toBe(30);
    // ...and the staged files hold the rest, unacked.
    expect(ci.num_ack_pending).toBeGreaterThan(0);
    expect(metrics.gauge("archiver_staging_bytes", "").get()).toBeGreaterThanOrEqual(20000);
    expect(metrics.gauge("archiver_pending_uploads", "").get()).toBeGreaterThan(0);
    expect(metrics.counter("archiver_upload_failures_total", "").get()).toBeGreaterThan(0);
    const staged = (await listFiles(join(dir, "staging"))).filter((f) => f.path.endsWith(".parquet"));
    expect(staged.length).toBeGreaterThan(0);

    await s3.start();
    await waitForDrained(jsm, ["s3arch-ticks"], 40_000);
    await until("staging drained", () => metrics.gauge("archiver_pending_uploads", "").get() === 0);
    expect(backpressure.get()).toBe(0);
    expect((await listFiles(join(dir, "staging"))).filter((f) => f.path.endsWith(".parquet"))).toEqual([]);
    await svc.stop();
    const r = await queryLake(openLake(env), "SELECT count(*) AS n, count(DISTINCT (symbol, venue_seq)) AS d FROM ticks");
    expect(r.rows).toEqual([[BigInt(published), BigInt(published)]]);
  });

  it("ops lake compact merges S3 files of a day and keeps every row", async () => {
    const lake = openLake(env);
    const before = (await lake.target.list("ticks/")).length;
    const rows = (await queryLake(lake, "SELECT symbol, venue_seq, price FROM ticks ORDER BY ALL")).rows;
    const r = await compactDay(lake, { date: "2025-11-22" });
    expect(r.failed).toEqual([]);
    const after = await lake.target.list("ticks/");
    expect(after.length).toBeLessThan(before);
    expect(after.length).toBe(r.filesOut + (before - r.filesIn));
    expect((await queryLake(lake, "SELECT symbol, venue_seq, price FROM ticks ORDER BY ALL")).rows).toEqual(rows);
  });

  it("a query scoped to a day downloads only that day's objects from S3", async () => {
    const fresh = openLake({ ...env, ARCHIVE_CACHE_DIR: join(dir, "cache-scoped") });
    const day = (d: string) => ({ from: new Date(`${d}T00:00Z`), to: new Date(`${d}T23:59Z`) });
    const none = await queryLake(fresh, "SELECT count(*) FROM ticks", { scope: day("2025-11-21") });
    expect(none.rows).toEqual([[0n]]);
    expect(await listFiles(join(dir, "cache-scoped"))).toEqual([]);
    const some = await queryLake(fresh, "SELECT count(*) FROM ticks", { scope: day("2025-11-22") });
    expect(some.rows).toEqual([[BigInt(published)]]);
    const cached = await listFiles(join(dir, "cache-scoped"));
    expect(cached.length).toBe((await fresh.target.list("ticks/date=2025-11-22/")).length);
    for (const f of cached) expect(f.path).toContain("ticks/date=2025-11-22/");
  });
});
