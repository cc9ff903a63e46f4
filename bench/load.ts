/**
 * `npm run bench:load`: the k6 `fanout` scenario (load/fanout.js), unchanged, through
 * the project's runner at 50,000 dashboards against a real edge (3 worker processes on
 * one port, default limits) fed by the benchmark publisher over a private nats-server.
 *
 *   npm run bench:load -- --sockets 50000 --ramp 30s --hold 30s
 *
 * Options (or env BENCH_<NAME>): --sockets 50000 (VUs × 100 sockets each), --ramp 30s,
 * --hold 30s, --edge-workers 3, --hz 1, --tickers 2-4, --probes 200, --no-report.
 * Prints the runner's own output (live progress, summary) and a table of what it
 * measured, and writes the "load" section of BENCHMARKS.md. The HTML report goes to
 * .artifacts/bench/fanout-<sockets>.html. Thresholds failing (exit 99) is a result,
 * not an error: the table says which.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { symbolsFor } from "./edge/publisher.ts";
import { type Rig, startRig } from "./edge/rig.ts";
import { startLedger } from "../load/test/ledger.ts";
import { deliveryFigures } from "../load/lib/summary.js";
import { reportResult, table, writeBenchSection } from "./report.ts";
import { benchArgs } from "./args.ts";
import { parseDuration } from "../lib/platform/duration.ts";

const ROOT = join(import.meta.dirname, "..");
const SOCKETS_PER_VU = 100;

const args = benchArgs({
  strings: ["sockets", "ramp", "hold", "edge-workers", "hz", "tickers", "probes"],
  flags: ["no-report"],
  env: true,
});
const opt = args.str;
type Opt = Parameters<typeof opt>[0];
function int(name: Opt, def: number): number {
  const v = Number(opt(name, String(def)));
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got ${opt(name, "")}`);
  return v;
}
function seconds(name: Opt, def: string): number {
  const v = opt(name, def);
  try {
    return parseDuration(v) / 1000;
  } catch {
    throw new RangeError(`--${name} must be a duration like 30s or 2m, got ${v}`);
  }
}

const sockets = int("sockets", 50_000);
const vus = Math.ceil(sockets / SOCKETS_PER_VU);
const rampS = seconds("ramp", "30s");
const holdS = seconds("hold", "30s");
const edgeWorkers = int("edge-workers", 3);
const hz = int("hz", 1);
const [tMin, tMax] = opt("tickers", "2-4").split("-");
const probes = int("probes", 200);
const report = !args.flag("no-report");
const symbols = symbolsFor(500);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let rig: Rig | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => void rig?.stop().finally(() => process.exit(130)));
}

interface Metric {
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

async function main(): Promise<number> {
  rig = await startRig({ workers: edgeWorkers, publisher: { symbols, hz, active: 0.2 } });
  // The producer's count (room.> on NATS) for the script's loss accounting: lost = expected − received.
  const ledger = await startLedger(rig.nc);
  console.log(`edge: ${edgeWorkers} worker(s) on :${rig.port}; ${sockets.toLocaleString("en-US")} dashboards as ${vus} VUs × ${SOCKETS_PER_VU}`);
  const outDir = join(ROOT, ".artifacts", "bench");
  mkdirSync(outDir, { recursive: true });
  const summaryFile = join(outDir, `fanout-${sockets}.json`);
  const html = join(outDir, `fanout-${sockets}.html`);
  const env: Record<string, string> = {
    TARGET: rig.url,
    VUS: String(vus),
    SOCKETS_PER_VU: String(SOCKETS_PER_VU),
    RAMP: `${rampS}s`,
    DURATION: `${holdS}s`,
    TICKERS_MIN: tMin!,
    TICKERS_MAX: tMax ?? tMin!,
    SYMBOLS: symbols.join(","),
    PROBES: String(probes),
    PUBLISHED_URL: ledger.url,
  };
  const args = [join(ROOT, "load", "runner", "main.ts"), "load/fanout.js", "--summary-export", summaryFile, "--out", html];
  for (const [k, v] of Object.entries(env)) args.push("--env", `${k}=${v}`);
  const t0 = Date.now();
  const runner = spawn(join(ROOT, "node_modules", ".bin", "tsx"), args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number>((r) => runner.on("close", (c) => r(c ?? -1)));

  // Edge CPU and RSS over the hold phase (the runner's init takes a second or two).
  await sleep((rampS + 5) * 1000);
  const cpu0 = rig.cpuSeconds();
  const m0 = Date.now();
  await sleep(Math.max(1, holdS - 8) * 1000);
  const edgeCpuPct = ((rig.cpuSeconds() - cpu0) / ((Date.now() - m0) / 1000)) * 100;
  const edgeRssMiB = rig.rssBytes() / 2 ** 20;
  const code = await exited;
  const wallS = (Date.now() - t0) / 1000;

  const s = JSON.parse(readFileSync(summaryFile, "utf8")) as { metrics: Record<string, Metric> };
  const d = deliveryFigures(s, true);
  const v = (name: string, stat: string) => s.metrics[name]?.values[stat] ?? NaN;
  const failed = Object.entries(s.metrics).flatMap(([name, m]) =>
    Object.entries(m.thresholds ?? {}).filter(([, t]) => !t.ok).map(([expr]) => `${name} ${expr}`));
  const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  const row = [
    sockets,
    fmt(v("ws_sessions", "count")),
    fmt(v("ws_connect_ok", "rate") * 100, 2),
    fmt(v("ws_msgs_received", "rate")),
    fmt(d?.expected ?? NaN),
    fmt(d?.received ?? NaN),
    fmt(v("ws_msgs_lost", "count")),
    fmt(d?.trailing ?? NaN),
    `${fmt(d?.repeats ?? NaN)} / ${fmt(d?.unexpectedCloses ?? NaN)} / ${fmt(d?.silentSockets ?? NaN)}`,
    fmt(v("ws_delivery_latency", "med")),
    fmt(v("ws_delivery_latency", "p(99)")),
    fmt(v("ws_delivery_latency", "p(99.9)")),
    fmt(v("runner_event_loop_lag_p99", "p(99)")),
    fmt(edgeCpuPct),
    fmt(edgeRssMiB),
    code,
    failed.length ? failed.join("; ") : "none",
  ];
  const header = ["dashboards", "sessions opened", "connect ok %", "msgs received/s", "expected (published × subscribers)", "received", "lost (expected − received)", "of which trailing", "repeats / unexpected closes / silent sockets", "latency p50 ms", "p99 ms", "p99.9 ms", "runner lag p99 ms", "edge CPU % (hold)", "edge RSS MiB", "runner exit", "thresholds failed"];
  const md = [
    `\`npm run bench:load\`: load/fanout.js, unchanged, run by the project's k6 runner (\`npm run load\`, ${Math.ceil(sockets / 15_000)} worker processes, source addresses 127.0.0.1–${Math.min(254, Math.max(8, Math.ceil(sockets / 1000)))}) ` +
    `against the edge (${edgeWorkers} worker processes on one port, default limits) and the benchmark publisher (500 ticker rooms at ${hz} Hz, probability 0.2 per tick; movers, pulse 1 Hz; an alert every 5 s). ` +
    `${vus} VUs × ${SOCKETS_PER_VU} sockets, each subscribing movers, pulse, alerts and ${tMin}–${tMax ?? tMin} ticker rooms and checking every room's seq; ramp ${rampS} s, hold ${holdS} s, ${probes} probe sockets record latency. ` +
    `Thresholds are the scenario's defaults (p99 < 50 ms, connect ok ≥ 99 %, 0 lost, 0 repeats, 0 unexpected closes, 0 silent sockets); expected is each socket's published count from the producer's ledger (room.> on NATS) over its subscription, so trailing loss counts. Load generator and edge share the machine's cores. Wall time ${fmt(wallS)} s; HTML report: .artifacts/bench/fanout-${sockets}.html.`,
    "",
    table(header, [row]),
  ].join("\n");
  console.log("\n" + md);
  if (report) writeBenchSection("load", "k6 fanout scenario through the runner", md);
  await ledger.stop();
  await rig.stop();
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  const p99 = num(v("ws_delivery_latency", "p(99)"));
  const okPct = num(v("ws_connect_ok", "rate") * 100);
  const lost = num(v("ws_msgs_lost", "count"));
  reportResult({
    name: "load",
    figures: { dashboards: sockets, sessions: num(v("ws_sessions", "count")), connect_ok_pct: okPct, msgs_received_per_s: num(v("ws_msgs_received", "rate")), msgs_expected: num(d?.expected ?? NaN), msgs_received_counted: num(d?.received ?? NaN), msgs_lost: lost, msgs_trailing_lost: num(d?.trailing ?? NaN), repeats: num(d?.repeats ?? NaN), unexpected_closes: num(d?.unexpectedCloses ?? NaN), silent_sockets: num(d?.silentSockets ?? NaN), p99_ms: p99, runner_exit: code },
    targets: { p99_ms: "< 50", connect_ok_pct: "≥ 99", msgs_lost: "= 0" },
    met: { p99_ms: p99 === null ? null : p99 < 50, connect_ok_pct: okPct === null ? null : okPct >= 99, msgs_lost: lost === null ? null : lost === 0 },
  });
  return code === 0 || code === 99 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error(`bench:load failed: ${e instanceof Error ? e.message : String(e)}`);
    await rig?.stop();
    process.exit(1);
  },
);
