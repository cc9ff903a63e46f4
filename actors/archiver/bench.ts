/**
 * Archiver benchmark (`npm run bench:archive`): rows/s from JetStream into Parquet on
 * a local lake and into S3 (s3rver), the decode → DuckDB → Parquet ceiling without
 * NATS, and the lake's bytes per tick. Writes the "archive" section of BENCHMARKS.md.
 *
 *   BENCH_TICKS=2000000 BENCH_BATCH=100 BENCH_SYMBOLS=20 npm run bench:archive
 *   ARCHIVE_DECODE_WORKERS=2 npm run bench:archive  # ARCHIVE_* variables tune the archiver
 *   npx tsx actors/archiver/bench.ts --quick     # a few seconds, to check it works
 *
 * The stream is filled first, then the archiver starts: the time is from the first row
 * in until its consumer has acked every message (all rows durable at the target).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { configure } from "@logtape/logtape";
import { getLogger } from "@logtape/logtape";
import { startNatsServer } from "../../ops/testing/nats-server.ts";
import { startS3Server } from "../../ops/testing/s3-server.ts";
import { reportResult, table, writeBenchSection } from "../../ops/bench/report.ts";
import { encode } from "../bus/codec.ts";
import type { Tick } from "../bus/messages.ts";
import { ensureStreams } from "../bus/streams.ts";
import { subjects } from "../bus/subjects.ts";
import { loadConfig } from "../config.ts";
import { Metrics } from "../metrics.ts";
import { systemClock } from "../runtime/clock.ts";
import { archiverSettings } from "./config.ts";
import { DATASET } from "./datasets.ts";
import { WorkerDecoder } from "./decoder.ts";
import { listFiles } from "./fsutil.ts";
import { ArchiverService } from "./service.ts";
import { fakeDelivery, localArchiver, makeTick, T0, waitForDrained } from "./testing.ts";

const quick = process.argv.includes("--quick");
const TICKS = Number(process.env.BENCH_TICKS ?? (quick ? 100_000 : 2_000_000));
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 20);
const MESSAGES = Math.ceil(TICKS / BATCH);
const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${i}-USD`);
/** ARCHIVE_* settings from the environment override the bench's (e.g. ARCHIVE_DECODE_WORKERS=2). */
const tuning = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith("ARCHIVE_") && v)) as Record<string, string>;

await configure({ reset: true, sinks: {}, loggers: [{ category: ["logtape", "meta"], lowestLevel: "error", sinks: [] }] });
const log = getLogger(["tickflow", "archiver", "bench"]);
const work = await mkdtemp(join(tmpdir(), "tf-bench-archive-"));

/** Message m: BATCH ticks of one symbol, one hour of data spread over the whole run. */
function message(m: number): { symbol: string; ticks: Tick[] } {
  const symbol = symbols[m % SYMBOLS]!;
  const base = T0 + Math.floor((m / MESSAGES) * 3_600_000);
  return { symbol, ticks: Array.from({ length: BATCH }, (_, i) => makeTick(symbol, m * BATCH + i, base + i)) };
}

const ns = await startNatsServer();
const s3 = await startS3Server();
const nc = await connect({ servers: ns.url });
const results: Array<Array<string | number>> = [];
try {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);

  // Fill the stream.
  let t = performance.now();
  const inflight: Promise<unknown>[] = [];
  let streamBytes = 0;
  for (let m = 0; m < MESSAGES; m++) {
    const { symbol, ticks } = message(m);
    const body = encode({ v: 1, ticks });
    streamBytes += body.length;
    inflight.push(js.publish(subjects.tick("sim", symbol), body));
    if (inflight.length >= 1000) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  const fillS = (performance.now() - t) / 1000;
  console.log(`stream filled: ${MESSAGES} messages, ${TICKS} ticks in ${fillS.toFixed(1)} s`);

  const run = async (label: string, url: string, extra: Record<string, string>) => {
    const metrics = new Metrics();
    const durable = `bench${results.length}`;
    const config = loadConfig(archiverSettings, {
      ARCHIVE_URL: url,
      ARCHIVE_STAGING_DIR: join(work, durable, "staging"),
      ARCHIVE_CACHE_DIR: join(work, durable, "cache"),
      ARCHIVE_DURABLE: durable,
      ARCHIVE_DATASETS: "ticks",
      ARCHIVE_FLUSH_INTERVAL: "1s",
      ARCHIVE_FLUSH_ROWS: "500000",
      ARCHIVE_FETCH_BATCH: "2000",
      ...extra,
      ...tuning,
    });
    const start = performance.now();
    // The clock starts at the first row in (start-up of DuckDB and the decode worker excluded).
    let first = 0;
    const rowsIn = metrics.counter("archiver_rows_in_total", "Rows received from the bus, by dataset");
    const poll = setInterval(() => {
      if (!first && rowsIn.get({ dataset: "ticks" }) > 0) first = performance.now();
    }, 2);
    const svc = await ArchiverService.start({ js, jsm, metrics, clock: systemClock, log, config, flush: () => nc.flush(), onFatal: (e) => console.error(e) });
    await waitForDrained(jsm, [`${durable}-ticks`], 3_600_000);
    clearInterval(poll);
    const secs = (performance.now() - (first || start)) / 1000;
    await svc.stop();
    const rows = metrics.counter("archiver_rows_in_total", "").get({ dataset: "ticks" });
    const bytes = metrics.counter("archiver_bytes_written_total", "").get({ dataset: "ticks" });
    const files = metrics.counter("archiver_files_written_total", "").get({ dataset: "ticks" });
    console.log(`${label}: ${rows} rows in ${secs.toFixed(2)} s = ${Math.round(rows / secs)} rows/s, ${files} files, ${(bytes / rows).toFixed(1)} B/tick`);
    results.push([label, rows, secs.toFixed(2), Math.round(rows / secs).toLocaleString("en-US"), files, (bytes / rows).toFixed(1)]);
  };

  await run("JetStream → Parquet, local lake", join(work, "lake"), {});
  await run("JetStream → Parquet → S3 (s3rver)", `s3://${s3.bucket}/bench`, s3.env);

  // Ceiling without NATS: decode + append + COPY from pre-encoded messages.
  const n = Math.min(MESSAGES, Math.ceil(1_000_000 / BATCH));
  const bodies = Array.from({ length: n }, (_, m) => encode({ v: 1, ticks: message(m).ticks }));
  const decoder = new WorkerDecoder(1);
  const a = await localArchiver(join(work, "ceiling"), { flushRows: 500_000, decoder });
  t = performance.now();
  let previous: Promise<void> = Promise.resolve();
  for (let off = 0; off < n; off += 256) {
    // Two batches in flight, as the pull loop does: one decodes in the worker while the other is placed.
    const p = a.archiver.ingest(DATASET.ticks, bodies.slice(off, off + 256).map((b, i) => fakeDelivery(off + i + 1, b)));
    await previous;
    previous = p;
  }
  await previous;
  await a.archiver.flushAll();
  await a.archiver.uploader.drain(600_000);
  const secs = (performance.now() - t) / 1000;
  const lakeBytes = (await listFiles(join(work, "ceiling", "lake", "ticks"))).reduce((s, f) => s + f.size, 0);
  await a.close();
  await decoder.close();
  const rows = n * BATCH;
  console.log(`no NATS: ${rows} rows in ${secs.toFixed(2)} s = ${Math.round(rows / secs)} rows/s`);
  results.push(["decode → DuckDB → Parquet, no NATS", rows, secs.toFixed(2), Math.round(rows / secs).toLocaleString("en-US"), "", (lakeBytes / rows).toFixed(1)]);

  const md = [
    `Settings: flush 1 s / 500,000 rows, fetch 2,000, decode workers ${tuning.ARCHIVE_DECODE_WORKERS ?? 1}, DuckDB threads ${tuning.ARCHIVE_DUCKDB_THREADS ?? 2}${Object.keys(tuning).length ? ` (overrides: ${Object.entries(tuning).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""}.`,
    `${TICKS.toLocaleString("en-US")} ticks in ${MESSAGES.toLocaleString("en-US")} JetStream messages of ${BATCH} ticks, ${SYMBOLS} symbols over one hour (${SYMBOLS * 2} hour partitions); JSON on the bus ${(streamBytes / TICKS).toFixed(0)} B/tick.`,
    "Time: first row in until the consumer has acked every message (all rows durable at the target), so it includes the last flush (≤ 1 s). Target ≥ 500,000 rows/s into Parquet.",
    "",
    table(["path", "rows", "seconds", "rows/s", "files", "lake bytes/tick"], results),
    "",
    quick ? "_Quick run (--quick): numbers are only a smoke test._" : "",
  ].join("\n");
  writeBenchSection("archive", "Archiver: JetStream → Parquet (DuckDB, zstd)", md);
  const rps = (r: Array<string | number> | undefined) => (r ? Number(r[1]) / Number(r[2]) : null);
  const viaNats = rps(results[0]);
  reportResult({
    name: "archive",
    figures: { rows_per_s: viaNats, rows_per_s_no_nats: rps(results.at(-1)) },
    targets: { rows_per_s: "≥ 500000" },
    met: { rows_per_s: viaNats === null || !Number.isFinite(viaNats) ? null : viaNats >= 500_000 },
  });
} finally {
  await nc.close();
  await Promise.all([ns.cleanup(), s3.cleanup()]);
  await rm(work, { recursive: true, force: true });
}
