/**
 * `npm run bench:soak [-- <minutes>]` (default 10; not part of npm test): the local stack
 * as `npm start` runs it (`tickflow up`, default simulator feed) on its own nats-server
 * and a fresh lake in a temp directory. Every 5 s it samples the archiver's lag (age of
 * the oldest MD message its consumers have not acked: an upper bound) and the RSS of the
 * stack's whole process tree. Then it stops the stack as Ctrl-C does (SIGINT) and times
 * the stop, counts the ticks in the MD stream and in the lake (every tick exactly once),
 * compacts the lake and counts files per dataset and hour. Ends with `RESULT {json}`.
 *
 * Targets (issue 16): lag ≤ 10 s, stack RSS ≤ 1 GiB, lake ticks = stream ticks, ≤ 4
 * files per dataset and hour after compaction, a clean stop in ≤ 10 s (nothing killed).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { TickBatch } from "../lib/contracts/messages.ts";
import { subjects } from "../lib/contracts/subjects.ts";
import { DATASETS } from "../lib/lake/partition.ts";
import { STREAM } from "../lib/platform/streams.ts";
import { compactDay, openLake, queryLake } from "../ops/lake/mod.ts";
import { lakeStats } from "../ops/lake/stats.ts";
import { freePort, startNatsServer } from "../test/nats-server.ts";
import { reportResult } from "./report.ts";
import { spawnTsx } from "../test/tsx-child.ts";
import { parseArgs } from "node:util";

/** `npm run bench:soak -- [minutes]` (default 10). */
const minutes = Number(parseArgs({ options: {}, allowPositionals: true }).positionals[0] ?? 10);

/** RSS of `pid` and all its descendants (bytes). */
function treeRss(pid: number): number {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      (kids.get(ppid) ?? kids.set(ppid, []).get(ppid)!).push(Number(d));
    } catch { /* gone */ }
  }
  let rss = 0;
  const walk = (p: number) => {
    try {
      rss += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0) * 1024;
    } catch { /* gone */ }
    for (const k of kids.get(p) ?? []) walk(k);
  };
  walk(pid);
  return rss;
}

const nats = await startNatsServer();
const work = await mkdtemp(join(tmpdir(), "tf-soak-"));
const lakeDir = join(work, "lake");
const env = {
  NATS_URL: nats.url,
  SIM_PORT: String(await freePort()),
  EDGE_PORT: String(await freePort()),
  METRICS_PORT: String(await freePort()),
  ARCHIVE_URL: lakeDir,
  ARCHIVE_STAGING_DIR: join(work, "staging"),
  EDGE_ALLOW_UWS_FALLBACK: "true",
};
const stack = spawnTsx("ops/main.ts", { args: ["up", "--quiet"], env });
let log = "";
stack.stdout.on("data", (d) => (log += d));
stack.stderr.on("data", (d) => (log += d));
let exitedEarly = false;
const exited = new Promise<void>((r) => stack.once("exit", () => r()));
await new Promise((r) => setTimeout(r, 20_000));

const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
const start = Date.now();
const startDate = new Date().toISOString().slice(0, 10);
let maxLag = 0, maxRss = 0, maxPending = 0, samples = 0;
void exited.then(() => (exitedEarly = true));
while (Date.now() - start < minutes * 60_000 && !exitedEarly) {
  let lag = 0, pending = 0;
  for (const ds of DATASETS) {
    const ci = await jsm.consumers.info(STREAM.md, `archiver-${ds}`).catch(() => undefined);
    if (!ci || ci.num_pending + ci.num_ack_pending === 0) continue;
    pending += ci.num_pending + ci.num_ack_pending;
    const m = await jsm.streams.getMessage(STREAM.md, { seq: ci.ack_floor.stream_seq + 1 }).catch(() => undefined);
    if (m) lag = Math.max(lag, Date.now() - m.time.getTime());
  }
  const rss = treeRss(stack.pid!);
  samples++;
  maxLag = Math.max(maxLag, lag);
  maxRss = Math.max(maxRss, rss);
  maxPending = Math.max(maxPending, pending);
  console.log(`${((Date.now() - start) / 1000).toFixed(0)} s: lag ${(lag / 1000).toFixed(1)} s, unacked+pending ${pending}, stack RSS ${(rss / 2 ** 20).toFixed(0)} MB`);
  await new Promise((r) => setTimeout(r, 5000));
}

if (exitedEarly) console.log(`the stack exited by itself after ${((Date.now() - start) / 1000).toFixed(0)} s:\n${log.slice(-4000)}`);
// Ctrl-C: `up` stops edge, hosts (shards first, the archiver flushes), simulator, in that order.
const stopAt = Date.now();
stack.kill("SIGINT");
await exited;
const stopMs = Date.now() - stopAt;
const killed = /had to kill ([^\n]*)/.exec(log)?.[1];

let streamTicks = 0;
const c = await jetstream(nc).consumers.get(STREAM.md, { filter_subjects: subjects.allTicks });
let left = (await c.info(true)).num_pending;
while (left > 0) {
  const it = await c.fetch({ max_messages: Math.min(left, 5000), expires: 5000 });
  for await (const m of it) {
    left--;
    streamTicks += m.json<TickBatch>().ticks.length;
  }
}
const notArchived = (await jsm.consumers.info(STREAM.md, "archiver-ticks")).num_pending;
await nc.close();

const lake = openLake({ ...process.env, ARCHIVE_URL: lakeDir });
const hasTicks = Number((await queryLake(lake, "SELECT count(*) FROM ticks")).rows[0]![0]) > 0;
const counts = hasTicks ? (await queryLake(lake, "SELECT count(*)::BIGINT, count(DISTINCT (exchange, symbol, venue_seq, ts))::BIGINT FROM ticks")).rows[0]!.map(Number) : [0, 0];
const lakeTicks = counts[0] ?? 0;
const distinctTicks = counts[1] ?? 0;
for (const date of new Set([startDate, new Date().toISOString().slice(0, 10)])) await compactDay(lake, { date });
const stats = await lakeStats(lake);
const perHour = new Map<string, number>();
for (const [ds, date, hour, , files] of stats.rows) perHour.set(`${ds}/${date}/${hour}`, (perHour.get(`${ds}/${date}/${hour}`) ?? 0) + Number(files));
const maxFiles = Math.max(0, ...perHour.values());
for (const r of stats.rows) console.log(r.join("  "));
console.log(`stream ticks ${streamTicks}, lake ticks ${lakeTicks} (${distinctTicks} distinct), not archived at stop ${notArchived}; ` +
  `stop took ${(stopMs / 1000).toFixed(1)} s${killed ? `, killed: ${killed}` : ""}; max files per dataset and hour ${maxFiles}`);
if (samples === 0 || (killed && !exitedEarly)) console.log(log.slice(-3000));
await nats.cleanup();
await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });

reportResult({
  name: "archive-soak",
  figures: {
    minutes, max_lag_s: maxLag / 1000, max_stack_rss_mb: Math.round(maxRss / 2 ** 20), max_unacked_pending: maxPending,
    stream_ticks: streamTicks, lake_ticks: lakeTicks, lake_distinct_ticks: distinctTicks, max_files_per_dataset_hour: maxFiles,
    stop_s: stopMs / 1000,
  },
  targets: { max_lag_s: "≤ 10", max_stack_rss_mb: "≤ 1024", lake_ticks: "= stream_ticks, all distinct", max_files_per_dataset_hour: "≤ 4", stop_s: "≤ 10, nothing killed" },
  met: {
    max_lag_s: samples > 0 ? maxLag <= 10_000 : null,
    max_stack_rss_mb: samples > 0 ? maxRss <= 2 ** 30 : null,
    lake_ticks: lakeTicks === streamTicks && distinctTicks === lakeTicks,
    max_files_per_dataset_hour: maxFiles <= 4,
    stop_s: exitedEarly ? false : stopMs <= 10_000 && !killed,
  },
});
