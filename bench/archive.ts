/**
 * Archiver benchmark (`npm run bench:archive`): rows/s from NATS JetStream into Parquet
 * for two mixes (bench-mix.ts), the archiver running as its own process (run.ts) with
 * its default settings, its peak RSS read from /proc (VmHWM).
 *
 *   BENCH_ROWS=2000000 npm run bench:archive         # rows per mix
 *   ARCHIVE_MEMORY=512MB npm run bench:archive       # ARCHIVE_* variables tune the archiver
 *   npx tsx bench/archive.ts --quick         # 200,000 rows per mix, a smoke test
 *
 * The clock starts at the first message published and stops when every consumer has
 * acked everything (all rows durable in the lake); the lake is then counted against
 * what was published. Ends with a `RESULT {json}` line.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/nats-server.ts";
import { reportResult, table, writeBenchSection } from "./report.ts";
import { benchArgs } from "./args.ts";
import { ensureStreams, STREAM } from "../lib/platform/streams.ts";
import { loadConfig } from "../lib/platform/config.ts";
import { archiverSettings } from "../actors/archiver/mod.ts";
import { bulkMix, type Mix, realisticMix } from "./archive-mix.ts";
import { queryLocalLake, spawnArchiver } from "../actors/archiver/testing.ts";
import { DATASETS } from "../lib/lake/partition.ts";

const quick = benchArgs({ strings: [], flags: ["quick"] }).flag("quick");
const ROWS = Number(process.env.BENCH_ROWS ?? (quick ? 200_000 : 2_000_000));
const TARGET = 500_000;
const tuning = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith("ARCHIVE_") && v)) as Record<string, string>;
const memory = loadConfig(archiverSettings, tuning).ARCHIVE_MEMORY;

/** Peak resident set of a process in bytes (VmHWM), or NaN when /proc is not there. */
function peakRss(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

interface Row {
  mix: string;
  rows: number;
  messages: number;
  seconds: number;
  rowsPerS: number;
  peakRssMb: number;
  files: number;
}

async function runMix(mix: Mix): Promise<Row> {
  const ns = await startNatsServer();
  const work = await mkdtemp(join(tmpdir(), "tf-bench-archive-"));
  const nc = await connect({ servers: ns.url });
  const lake = join(work, "lake");
  const child = spawnArchiver({ NATS_URL: ns.url, ARCHIVE_URL: lake, ARCHIVE_CACHE_DIR: join(work, "cache"), ARCHIVE_DURABLE: "bench", ...tuning });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await child.waitFor("READY", 60_000);
    const t0 = performance.now();
    // Core publishes (the stream stores them); a flush every 1,000 keeps the client's buffer bounded.
    for (let i = 0; i < mix.bodies.length; i++) {
      nc.publish(mix.subjects[i]!, mix.bodies[i]!);
      if (i % 1000 === 999) await nc.flush();
    }
    await nc.flush();
    const durables = DATASETS.map((d) => `bench-${d}`);
    for (;;) {
      const s = await jsm.streams.info(STREAM.md);
      let busy = s.state.messages < mix.bodies.length ? 1 : 0;
      for (const d of durables) {
        const ci = await jsm.consumers.info(STREAM.md, d);
        busy += ci.num_pending + ci.num_ack_pending;
      }
      if (busy === 0) break;
      if (performance.now() - t0 > 1_800_000) throw new Error(`not drained after 30 min: ${child.output().slice(-2000)}`);
      // JetStream API calls cost the server; polling faster than this slows a loaded one.
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - t0) / 1000;
    const rss = peakRss(child.pid);
    await child.stop();
    const counts = await queryLocalLake(lake, DATASETS.map((d) => `SELECT '${d}' AS d, count(*)::BIGINT AS n FROM ${d}`).join(" UNION ALL "));
    const files = await queryLocalLake(lake, `SELECT count(*)::INTEGER AS n FROM glob('${lake}/*/date=*/**/*.parquet')`);
    const lakeRows = counts.reduce((s, r) => s + Number(r.n), 0);
    if (lakeRows !== mix.rows) throw new Error(`${mix.name}: lake has ${lakeRows} rows, published ${mix.rows}: ${JSON.stringify(counts)}`);
    const row = {
      mix: mix.name,
      rows: mix.rows,
      messages: mix.bodies.length,
      seconds,
      rowsPerS: Math.round(mix.rows / seconds),
      peakRssMb: Math.round(rss / 2 ** 20),
      files: Number(files[0]!.n),
    };
    console.log(`${mix.name}: ${row.rows} rows (${row.messages} messages, ${mix.symbols} symbols) in ${seconds.toFixed(2)} s = ${row.rowsPerS.toLocaleString("en-US")} rows/s, peak RSS ${row.peakRssMb} MB, ${row.files} files`);
    return row;
  } finally {
    await child.stop();
    await nc.close();
    await ns.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

const load = loadavg()[0]!.toFixed(2);
const rows: Row[] = [];
for (const make of [() => realisticMix(ROWS), () => bulkMix(ROWS)]) rows.push(await runMix(make()));

const rssLimitMb = Math.round(memory / 2 ** 20) + 200;
const md = [
  `ARCHIVE_MEMORY ${Math.round(memory / 2 ** 20)} MiB${Object.keys(tuning).length ? ` (overrides: ${Object.entries(tuning).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""}; load average at start ${load} (shared machine).`,
  "Realistic: 500 symbols, 1–5 ticks per tick message, book snapshots (20 levels), deltas (1–6 levels), trades (1–3); bulk: 20 symbols, 100 ticks per message.",
  "Time: first message published until every consumer has acked everything (all rows durable in the local lake); lake rows checked equal to published rows.",
  `Targets: ≥ ${TARGET.toLocaleString("en-US")} rows/s per mix, peak RSS ≤ ARCHIVE_MEMORY + 200 MB (${rssLimitMb} MB).`,
  "",
  table(["mix", "rows", "messages", "seconds", "rows/s", "peak RSS MB", "files"], rows.map((r) => [r.mix, r.rows, r.messages, r.seconds.toFixed(2), r.rowsPerS.toLocaleString("en-US"), r.peakRssMb, r.files])),
  "",
  quick ? "_Quick run (--quick): numbers are only a smoke test._" : "",
].join("\n");
writeBenchSection("archive", "Archiver: JetStream → Parquet (DuckDB, zstd)", md);

const figures: Record<string, number> = { archive_memory_mb: Math.round(memory / 2 ** 20), load_average: Number(load) };
for (const r of rows) {
  figures[`${r.mix}_rows_per_s`] = r.rowsPerS;
  figures[`${r.mix}_peak_rss_mb`] = r.peakRssMb;
  figures[`${r.mix}_files`] = r.files;
}
reportResult({
  name: "archive",
  figures,
  targets: { rows_per_s: `≥ ${TARGET} (every mix)`, peak_rss_mb: `≤ ${rssLimitMb} (every mix)` },
  met: {
    rows_per_s: rows.length ? rows.every((r) => r.rowsPerS >= TARGET) : null,
    peak_rss_mb: rows.length && rows.every((r) => Number.isFinite(r.peakRssMb)) ? rows.every((r) => r.peakRssMb <= rssLimitMb) : null,
  },
});
