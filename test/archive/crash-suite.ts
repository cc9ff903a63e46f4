/**
 * The kill -9 test suite, shared by the test files that run it for different pause
 * points (split so each file stays short): publish ticks, run the standalone archiver
 * until it pauses at a point, kill -9 it, restart it, and compare the lake with the
 * stream: every tick exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JetStreamClient, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { startS3Server, type S3ServerHandle } from "../s3-server.ts";
import { openLake } from "../../ops/lake/mod.ts";
import { queryLake } from "../../ops/lake/mod.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import type { PausePoint } from "../../actors/archiver/pause.ts";
import { publishTicks, spawnArchiver, ticksInStream, waitForDrained } from "../../actors/archiver/testing.ts";

export interface CrashCase {
  name: string;
  point: PausePoint;
  /** Pause at the n-th visit of the point. */
  after: number;
}

export function crashSuite(title: string, target: "local" | "s3", cases: CrashCase[]): void {
  describe(title, () => {
    let ns: NatsServerHandle;
    let s3: S3ServerHandle | undefined;
    let nc: NatsConnection;
    let js: JetStreamClient;
    let jsm: JetStreamManager;
    let dir: string;
    let expected: string[];

    beforeAll(async () => {
      [ns, s3] = await Promise.all([startNatsServer(), target === "s3" ? startS3Server() : undefined]);
      nc = await connect({ servers: ns.url });
      js = jetstream(nc);
      jsm = await jetstreamManager(nc);
      await ensureStreams(jsm);
      dir = await mkdtemp(join(tmpdir(), "tf-crash-"));
      await publishTicks(js, { symbols: ["BTC-USD", "ETH-USD", "SOL-USD"], messages: 150, perMessage: 40 });
      expected = (await ticksInStream(js)).sort();
    });
    afterAll(async () => {
      await nc?.close();
      await Promise.all([ns?.cleanup(), s3?.cleanup()]);
      await rm(dir, { recursive: true, force: true });
    });

    for (const c of cases) {
      it(c.name, async () => {
        const name = `crash-${c.point}`;
        const env: Record<string, string> = {
          NATS_URL: ns.url,
          ARCHIVE_URL: s3 ? `s3://${s3.bucket}/${name}` : join(dir, name, "lake"),
          ARCHIVE_STAGING_DIR: join(dir, name, "staging"),
          ARCHIVE_CACHE_DIR: join(dir, name, "cache"),
          ARCHIVE_DURABLE: name,
          ARCHIVE_DATASETS: "ticks",
          ARCHIVE_FLUSH_INTERVAL: "200ms",
          ARCHIVE_FLUSH_ROWS: "600",
          ARCHIVE_FETCH_BATCH: "50",
          ARCHIVE_ACK_WAIT: "2s",
          ARCHIVE_DUCKDB_THREADS: "1",
          // On S3 every file goes multipart in 4 KiB parts, so "upload" pauses between parts.
          ...(s3 ? { ...s3.env, ARCHIVE_MULTIPART_BYTES: "1", ARCHIVE_PART_BYTES: "4096" } : {}),
        };
        const first = spawnArchiver({ ...env, ARCHIVE_TEST_PAUSE_AT: c.point, ARCHIVE_TEST_PAUSE_AFTER: String(c.after) });
        await first.waitFor(`PAUSED ${c.point}`);
        await first.kill9();
        // The restart groups messages into files differently (another flush size), as after any
        // crash with time-based flushes: a redelivered message must not land in a second file.
        const second = spawnArchiver({ ...env, ARCHIVE_FLUSH_ROWS: "440" });
        await second.waitFor("READY");
        await waitForDrained(jsm, [`${name}-ticks`], 40_000);
        expect(await second.stop()).toBe(0);
        const r = await queryLake(openLake(env), "SELECT symbol, venue_seq::INTEGER AS s FROM ticks");
        expect(r.rows.map(([sym, s]) => `${sym}/${s}`).sort()).toEqual(expected);
      });
    }
  });
}
