/**
 * Edge benchmark (`npm run bench:edge`): N dashboards on EDGE_WORKERS edge processes.
 *
 *   npm run bench:edge -- --clients 1000,10000,50000 --edge-workers 3 --duration 30
 *
 * Starts a nats-server (or uses NATS_URL), the edge (edge/main.ts as a child process),
 * a publisher (500 ticker rooms at 10 Hz coalesced + movers/pulse/alerts by default)
 * and client worker processes (≤ 15,000 sockets each, spread over 20 127.0.0.x source
 * addresses of their own). For each client count it ramps up, warms up, then measures over
 * `--duration` s: NATS → client latency on probe connections (p50/p99/p99.9),
 * delivered messages/s, edge CPU µs per delivered message (/proc/<pid>/stat of the
 * edge processes) and edge RSS per connection added (since the previous stage). Results go to
 * BENCHMARKS.md, section "edge" (bench/report.ts; BENCHMARKS_FILE overrides).
 * Every child process is killed on exit, error, timeout or Ctrl-C.
 *
 * Options (or env BENCH_<NAME>): --clients (comma list, default 1000), --edge-workers
 * (default max(cores, ceil(max clients / 18000))), --duration 10, --warmup 3,
 * --rooms 500, --hz 10, --active 0.2, --tickers 10-20, --probes 100,
 * --timeout 900 (s, whole run), --no-report.
 */
import { type ChildProcess, fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { reportResult, resultFromBudgets, table, writeBenchSection } from "../report.ts";
import { edgeBudgets, edgeStages } from "../parse.ts";
import type { ClientWorkerConfig, FromWorker } from "./clients.ts";
import { percentile } from "./procstat.ts";
import { symbolsFor } from "./publisher.ts";
import { type Rig, startRig } from "./rig.ts";
import { benchArgs } from "../args.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const SOCKETS_PER_WORKER = 15_000;
/**
 * Source addresses per client worker. Binding a source address makes the kernel pick
 * the port at bind() time from half the ephemeral range, scanning it; past ~7,000
 * sockets on one address each bind takes milliseconds of kernel time and the ramp
 * crawls. 20 addresses keep it under 750 sockets each.
 */
const SOURCES_PER_WORKER = 20;
/** Below this many connections added, heap settling (±50 MiB) swamps RSS per connection. */
const MIN_ADDED_FOR_RSS = 20_000;

const args = benchArgs({
  strings: ["clients", "edge-workers", "duration", "warmup", "tickers", "rooms", "hz", "active", "probes", "timeout"],
  flags: ["no-report"],
  env: true,
});
const opt = args.str;
type Opt = Parameters<typeof opt>[0];
const num = (name: Opt, def: number) => {
  const v = Number(opt(name, String(def)));
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${name} must be a non-negative number, got ${opt(name, "")}`);
  return v;
};

const stages = opt("clients", "1000").split(",").map(Number);
if (stages.some((n) => !Number.isInteger(n) || n < 1)) throw new RangeError(`--clients must be positive integers, got ${opt("clients", "")}`);
const maxClients = Math.max(...stages);
const edgeWorkers = num("edge-workers", Math.max(availableParallelism(), Math.ceil(maxClients / 18_000)));
const durationS = num("duration", 10);
const warmupS = num("warmup", 3);
const [minT, maxT] = opt("tickers", "10-20").split("-").map(Number) as [number, number];
const pubOpts = { symbols: symbolsFor(num("rooms", 500)), hz: num("hz", 10), active: num("active", 0.2) };
/**
 * Latency probes live in a client worker of their own that does nothing else: a bulk
 * worker reading 15,000 sockets' bursts would add its own queueing to every figure.
 */
const probes = Math.max(1, Math.min(num("probes", 100), Math.min(...stages)));
const report = !args.flag("no-report");

const children: ChildProcess[] = [];
let rig: Rig | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killAll(signal: NodeJS.Signals): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
}
process.on("exit", () => killAll("SIGKILL"));
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    console.error(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  console.error(`bench:edge timed out after ${num("timeout", 900)} s`);
  void cleanup().finally(() => process.exit(1));
}, num("timeout", 900) * 1000);
deadline.unref();

async function cleanup(): Promise<void> {
  for (const w of workers) if (w.proc.connected) w.proc.send({ type: "stop" });
  killAll("SIGTERM");
  const t = Date.now();
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() - t < 10_000) await sleep(100);
  killAll("SIGKILL");
  await rig?.stop();
}

interface Worker {
  proc: ChildProcess;
  count: number;
  ramp: { opened: number; failed: number };
  pending?: (s: Extract<FromWorker, { type: "stats" }>) => void;
}
const workers: Worker[] = [];

function spawnWorker(url: string, count: number, index: number, probeWorker = false): Worker {
  const sourceBase = 2 + index * SOURCES_PER_WORKER;
  if (sourceBase + SOURCES_PER_WORKER - 1 > 254) {
    throw new RangeError(`client worker ${index} would need source addresses past 127.0.0.254: at most ${Math.floor(253 / SOURCES_PER_WORKER) - 1} bulk workers (${((Math.floor(253 / SOURCES_PER_WORKER) - 1) * SOCKETS_PER_WORKER).toLocaleString("en-US")} clients) on one machine`);
  }
  const cfg: ClientWorkerConfig = {
    url,
    count,
    probes: probeWorker ? count : 0,
    sourceBase,
    sources: SOURCES_PER_WORKER,
    symbols: pubOpts.symbols,
    minTickers: minT,
    maxTickers: maxT,
    concurrency: 100,
  };
  const proc = fork(join(ROOT, "bench/edge/clients.ts"), [JSON.stringify(cfg)], {
    execArgv: ["--import", "tsx", "--max-old-space-size=4096"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.push(proc);
  const w: Worker = { proc, count, ramp: { opened: 0, failed: 0 } };
  proc.on("message", (m: FromWorker) => {
    if (m.type === "ramp") w.ramp = { opened: m.opened, failed: m.failed };
    else w.pending?.(m);
  });
  return w;
}

async function stats(): Promise<Array<Extract<FromWorker, { type: "stats" }>>> {
  return await Promise.all(workers.map((w) =>
    new Promise<Extract<FromWorker, { type: "stats" }>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("client worker did not answer stats within 10 s")), 10_000);
      w.pending = (s) => {
        clearTimeout(t);
        resolve(s);
      };
      w.proc.send({ type: "stats" });
    })
  ));
}

async function main(): Promise<void> {
  const r = (rig = await startRig({ workers: edgeWorkers, publisher: pubOpts, env: { EDGE_MAX_CONNS_PER_IP: "1000000" } }));
  await sleep(2000);
  const baselineRss = r.rssBytes();
  console.log(`edge: ${edgeWorkers} worker(s) on :${r.port}, baseline RSS ${(baselineRss / 2 ** 20).toFixed(1)} MiB`);

  const url = r.url;
  const rows: Array<Array<string | number>> = [];
  workers.push(spawnWorker(url, probes, 0, true));
  let have = probes;
  // Memory per connection is the RSS added since the previous stage over the
  // connections added: the idle baseline moves by tens of MiB as heaps settle, which
  // swamps the first stage's figure but not the 10k → 50k step.
  let prevRss = baselineRss;
  let prevHeld = 0;
  for (const n of stages) {
    while (have < n) {
      const count = Math.min(SOCKETS_PER_WORKER, n - have);
      workers.push(spawnWorker(url, count, workers.length));
      have += count;
    }
    const rampStart = Date.now();
    const rampLimit = 60_000 + n * 5;
    let lastShown = 0;
    while (workers.some((w) => w.ramp.opened + w.ramp.failed < w.count)) {
      const opened = workers.reduce((a, w) => a + w.ramp.opened, 0);
      const failedNow = workers.reduce((a, w) => a + w.ramp.failed, 0);
      if (Date.now() - rampStart > rampLimit) throw new Error(`ramp to ${n} clients not done within ${rampLimit} ms (${opened} open, ${failedNow} failed)`);
      if (Date.now() - lastShown >= 5000) {
        lastShown = Date.now();
        console.log(`  ramping to ${n}: ${opened} open, ${failedNow} failed, ${((Date.now() - rampStart) / 1000).toFixed(0)} s`);
      }
      await sleep(250);
    }
    const rampS = (Date.now() - rampStart) / 1000;
    await sleep(warmupS * 1000);

    const procs = r.pids().length;
    const rss = r.rssBytes();
    const s0 = await stats();
    const cpu0 = r.cpuSeconds();
    const pub0 = r.publisher.published;
    const m0 = Date.now();
    await sleep(durationS * 1000);
    const cpu1 = r.cpuSeconds();
    const s1 = await stats();
    const elapsed = (Date.now() - m0) / 1000;

    const delivered = s1.reduce((a, s) => a + s.delivered, 0) - s0.reduce((a, s) => a + s.delivered, 0);
    const held = s1.reduce((a, s) => a + s.open, 0);
    const failed = s1.reduce((a, s) => a + s.failed, 0);
    const lat = s1.flatMap((s) => s.latencies).sort((a, b) => a - b);
    const cpuUs = delivered > 0 ? ((cpu1 - cpu0) * 1e6) / delivered : NaN;
    const clientCpu = s1.reduce((a, s) => a + s.cpuS, 0) - s0.reduce((a, s) => a + s.cpuS, 0);
    const probeLag = s1[0]!.lagP99Ms; // workers[0] is the probe worker
    const row = [
      n,
      held,
      failed,
      procs,
      Math.round((r.publisher.published - pub0) / elapsed),
      Math.round(delivered / elapsed),
      percentile(lat, 50),
      percentile(lat, 99),
      percentile(lat, 99.9),
      cpuUs.toFixed(2),
      (((cpu1 - cpu0) / elapsed) * 100).toFixed(0),
      held - prevHeld >= MIN_ADDED_FOR_RSS ? ((rss - prevRss) / (held - prevHeld) / 1024).toFixed(2) : "–",
      ((clientCpu / elapsed) * 100).toFixed(0),
      probeLag.toFixed(0),
      rampS.toFixed(1),
    ];
    rows.push(row);
    prevRss = rss;
    prevHeld = held;
    console.log(`clients ${n}: held ${held}, failed ${failed}, delivered ${row[5]}/s, latency p50/p99/p99.9 ${row[6]}/${row[7]}/${row[8]} ms (${lat.length} samples), CPU ${row[9]} µs/msg (${row[10]} %), RSS ${row[11]} KB/conn, clients CPU ${row[12]} %, probe worker event-loop lag p99 ${row[13]} ms`);
  }

  const header = ["clients", "held", "failed", "edge procs", "published msg/s", "delivered msg/s", "p50 ms", "p99 ms", "p99.9 ms", "edge CPU µs/msg", "edge CPU %", "RSS KB/conn added", "clients CPU %", "probe lag p99 ms", "ramp s"];
  const md = [
    `Each client subscribes movers, pulse, alerts and ${minT}–${maxT} ticker rooms; publisher: ${pubOpts.symbols.length} ticker rooms at ${pubOpts.hz} Hz, each changing with probability ${pubOpts.active} per tick, plus ticker.all, movers and pulse at 1 Hz and an alert every 5 s. ` +
    `Latency is NATS publish (producer ts) → client receive on ${probes} probe connections (part of the clients) in a client process of their own; measured over ${durationS} s after ${warmupS} s warm-up. ` +
    `RSS KB/conn added is the edge processes' RSS added since the previous stage (the idle baseline for the first) over the connections added, shown where at least ${MIN_ADDED_FOR_RSS.toLocaleString("en-US")} were added (below that, heap settling swamps it). ` +
    `Client workers (the load runner's lean WebSocket client) run on the same machine and compete with the edge for CPU (clients CPU %, 100 = one core); probe lag p99 is the probe process's own event-loop delay, which the latency figures include. Targets: 50,000 held, p99 ≤ 50 ms, ≤ 6 KB/conn, ≤ 2 µs CPU/msg.`,
    "",
    table(header, rows),
  ].join("\n");
  console.log("\n" + md);
  if (report) writeBenchSection("edge", "Edge fan-out (uWebSockets.js)", md);
  reportResult(resultFromBudgets("edge", edgeBudgets(edgeStages(md))));
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (e) {
  console.error(`bench:edge failed: ${e instanceof Error ? e.message : String(e)}`);
  await cleanup();
  process.exit(1);
}
