/**
 * Archiver soak check (`npx tsx ops/lake/soak.ts <minutes>`): runs the local stack
 * (`tickflow up`, default feed) with the NATS_URL / SIM_PORT / EDGE_PORT / METRICS_PORT
 * of the environment, and every 5 s samples the archiver's lag (age of the oldest
 * message its consumers have not acked, an upper bound) and the RSS of the whole stack's
 * process tree. Then it stops the stack (SIGTERM), compacts today's lake, and compares
 * the ticks in the lake with the ticks in the MD stream. Prints `RESULT {json}`.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { TickBatch } from "../../lib/contracts/messages.ts";
import { STREAM } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { DATASETS } from "../../lib/lake/partition.ts";
import { compactDay } from "./compact.ts";
import { openLake } from "./lake.ts";
import { queryLake } from "./query.ts";
import { lakeStats } from "./stats.ts";

const minutes = Number(process.argv[2] ?? 10);
const root = join(import.meta.dirname, "..", "..");
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

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

const stack = spawn(process.execPath, ["--import", "tsx", join(root, "ops", "main.ts"), "up"], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: process.env });
let log = "";
stack.stdout.on("data", (d) => (log += d));
stack.stderr.on("data", (d) => (log += d));
await new Promise((r) => setTimeout(r, 20_000));
const nc = await connect({ servers: natsUrl });
const jsm = await jetstreamManager(nc);
const start = Date.now();
let maxLag = 0, maxRss = 0, maxPending = 0;
while (Date.now() - start < minutes * 60_000) {
  let lag = 0, pending = 0;
  for (const ds of DATASETS) {
    const ci = await jsm.consumers.info(STREAM.md, `archiver-${ds}`).catch(() => undefined);
    if (!ci) continue;
    pending += ci.num_pending + ci.num_ack_pending;
    if (ci.num_pending + ci.num_ack_pending === 0) continue;
    const m = await jsm.streams.getMessage(STREAM.md, { seq: ci.ack_floor.stream_seq + 1 }).catch(() => undefined);
    if (m) lag = Math.max(lag, Date.now() - m.time.getTime());
  }
  const rss = treeRss(stack.pid!);
  maxLag = Math.max(maxLag, lag);
  maxRss = Math.max(maxRss, rss);
  maxPending = Math.max(maxPending, pending);
  console.log(`${((Date.now() - start) / 1000).toFixed(0)} s: lag ${(lag / 1000).toFixed(1)} s, unacked+pending ${pending}, stack RSS ${(rss / 2 ** 20).toFixed(0)} MB`);
  await new Promise((r) => setTimeout(r, 5000));
}
// Stop publishing first, then let the archiver drain and stop.
stack.kill("SIGTERM");
await new Promise((r) => stack.once("exit", r));
let streamTicks = 0;
const js = jetstream(nc);
const c = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allTicks });
let left = (await c.info(true)).num_pending;
while (left > 0) {
  const it = await c.fetch({ max_messages: Math.min(left, 5000), expires: 5000 });
  for await (const m of it) {
    left--;
    streamTicks += m.json<TickBatch>().ticks.length;
  }
}
const unacked = (await jsm.consumers.info(STREAM.md, "archiver-ticks")).num_pending;
await nc.close();
const lake = openLake({ ...process.env, ARCHIVE_URL: process.env.ARCHIVE_URL ?? join(root, "data", "lake") });
const lakeTicks = Number((await queryLake(lake, "SELECT count(*) FROM ticks")).rows[0]![0]);
const today = new Date().toISOString().slice(0, 10);
await compactDay(lake, { date: today });
const stats = await lakeStats(lake);
const maxFiles = Math.max(0, ...stats.rows.map((r) => Number(r[4])));
for (const r of stats.rows) console.log(r.join("  "));
console.log(`stream ticks ${streamTicks}, lake ticks ${lakeTicks} (consumer still pending at stop: ${unacked}), max files per partition after compaction ${maxFiles}`);
console.log(`RESULT ${JSON.stringify({
  name: "archive-soak",
  figures: { minutes, max_lag_s: maxLag / 1000, max_stack_rss_mb: Math.round(maxRss / 2 ** 20), max_unacked_pending: maxPending, stream_ticks: streamTicks, lake_ticks: lakeTicks, max_files_per_partition: maxFiles },
  targets: { max_lag_s: "<= 10", max_stack_rss_mb: "<= 1024", lake_ticks: "= stream_ticks", max_files_per_partition: "<= 4" },
  met: maxLag <= 10_000 && maxRss <= 2 ** 30 && lakeTicks === streamTicks && maxFiles <= 4,
})}`);
if (!/archiver/.test(log)) console.log(log.slice(-2000));
