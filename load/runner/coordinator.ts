/**
 * The main process of a run: loads the script (init context, options, setup), forks
 * the worker processes that hold the VUs and sockets, merges their metrics every
 * second (progress line, time series, abortOnFail thresholds), then runs teardown,
 * evaluates thresholds, calls handleSummary and writes the HTML report.
 * Returns k6's exit code: 0, 99 thresholds failed, 104 bad options, 107 script error,
 * 108 test.abort(), 110 test.fail(), 105 interrupted by SIGINT, 103 a worker died.
 */
import { writeFileSync } from "node:fs";
import { Aggregate } from "./aggregate.ts";
import { isOptionsError, planScenarios, plannedDurationMs, type CliShortcuts, type ScenarioPlan } from "./options.ts";
import { instance } from "./instance.ts";
import { Progress } from "./progress.ts";
import { registry } from "./registry.ts";
import { renderReport } from "./report.ts";
import { WorkerPool } from "./pool.ts";
import { loadScript, type ScriptModule } from "./script.ts";
import { ServerSampler } from "./series.ts";
import { RunSampler } from "./sampler.ts";
import { buildSummaryData, evaluateThresholds, writeSummaryOutputs, type ThresholdResult } from "./summary.ts";
import { isThresholdError, parseThresholds, type MetricThresholds } from "./thresholds.ts";
import { als, IterationCtx, logVuError } from "./vu.ts";
import { textSummary } from "../lib/summary.js";

export const ExitCode = {
  Ok: 0,
  ThresholdsFailed: 99,
  WorkerDied: 103,
  InvalidConfig: 104,
  ExternalAbort: 105,
  ScriptException: 107,
  ScriptAborted: 108,
  MarkedAsFailed: 110,
} as const;

export type RunOptions = {
  script: string;
  env: Record<string, string>;
  cli: CliShortcuts;
  out?: string;
  summaryExport?: string;
  serverPid?: number;
  workers?: number;
  maxSocketsPerWorker: number;
  sourceAddresses?: number;
  progressTrend?: string;
  noSummary?: boolean;
};

/** Run `fn` like VU code (setup/teardown): waits for its sockets and timers, as k6 does. */
async function runAsVu(name: string, plan: ScenarioPlan, fn: (d?: unknown) => unknown, arg?: unknown): Promise<unknown> {
  const ctx = new IterationCtx({ idInTest: 0, idInInstance: 0, indexInScenario: 1, iterationInScenario: 0, iterationInInstance: 0, scenario: { ...plan, name }, scenarioStartTime: Date.now() }, 0);
  let result: unknown;
  als.run(ctx, () => {
    try {
      const r = fn(arg);
      if (r instanceof Promise) r.then((v) => ((result = v), ctx.markReturned()), (e) => ctx.fail(e));
      else ((result = r), ctx.markReturned());
    } catch (e) {
      ctx.fail(e);
    }
  });
  await ctx.done;
  if (ctx.error !== undefined) throw ctx.error;
  return result;
}

function submetricKeys(thresholds: unknown): string[] {
  return thresholds && typeof thresholds === "object" ? Object.keys(thresholds).filter((k) => k.includes("{")) : [];
}

/** Fork the workers that hold the VUs: enough for `maxSocketsPerWorker` each, unless `--workers` says. */
function startPool(o: RunOptions, options: Record<string, unknown>, plans: ScenarioPlan[], setupData: unknown, agg: Aggregate, totalVus: number): WorkerPool {
  const perVu = Math.max(1, Number(o.env.SOCKETS_PER_VU) || 1);
  const nWorkers = Math.max(1, Math.min(totalVus, o.workers ?? Math.ceil((totalVus * perVu) / o.maxSocketsPerWorker)));
  return new WorkerPool(
    nWorkers,
    {
      script: o.script,
      env: o.env,
      options,
      plans,
      submetrics: submetricKeys(options.thresholds),
      setupData,
      maxSockets: o.maxSocketsPerWorker,
      // ≥ 8, and enough that each address holds ≤ 1,000 sockets (the edge's default EDGE_MAX_CONNS_PER_IP).
      sourceAddresses: o.sourceAddresses ?? Math.min(254, Math.max(8, Math.ceil((totalVus * perVu) / 1000))),
    },
    agg,
  );
}

/** The end-of-test summary: the script's handleSummary outputs, else (or when it throws) k6's text summary. */
async function printSummary(mod: ScriptModule, data: ReturnType<typeof buildSummaryData>): Promise<void> {
  try {
    if (typeof mod.handleSummary === "function") writeSummaryOutputs(await mod.handleSummary(data));
    else process.stdout.write(textSummary(data));
  } catch (e) {
    process.stderr.write(`ERRO handleSummary: ${(e as Error).stack ?? e}\n`);
    process.stdout.write(textSummary(data));
  }
}

/** k6's exit code for a finished run (the first that applies, in k6's order). */
function exitCodeOf(pool: WorkerPool, abortedByThreshold: boolean, results: ThresholdResult[], signal: NodeJS.Signals | undefined): number {
  let code: number = ExitCode.Ok;
  if (pool.error) code = ExitCode.WorkerDied;
  else if (pool.abortReason && !abortedByThreshold) code = ExitCode.ScriptAborted;
  else if (results.some((r) => !r.ok)) code = ExitCode.ThresholdsFailed;
  else if (signal === "SIGINT") code = ExitCode.ExternalAbort;
  else if (pool.failReason) code = ExitCode.MarkedAsFailed;
  return code;
}

/** `runner_server_cpu_us_per_msg`: the server's CPU over the run per message received, when --server-pid was sampled. */
function serverCpuPerMessage(server: ServerSampler, agg: Aggregate): void {
  if (server.startCpuMs === undefined) return;
  const cpu = server.cpuMs();
  const msgs = agg.total.get("ws_msgs_received")?.agg("count", 0) ?? 0;
  if (cpu !== undefined && msgs > 0) agg.add("runner_server_cpu_us_per_msg", "gauge", ((cpu - server.startCpuMs) * 1000) / msgs);
}

export async function run(o: RunOptions): Promise<number> {
  const startedAt = new Date();
  const notes: string[] = [];
  let mod: ScriptModule;
  let plans: ScenarioPlan[];
  try {
    mod = await loadScript(o.script, o.env);
    plans = planScenarios((mod.options ?? {}) as Record<string, unknown>, o.cli);
  } catch (e) {
    process.stderr.write(`ERRO ${(e as Error).message}\n`);
    if ((e as Error).cause) process.stderr.write(`${String(((e as Error).cause as Error).stack ?? (e as Error).cause)}\n`);
    return isOptionsError(e) ? ExitCode.InvalidConfig : ExitCode.ScriptException;
  }
  const options = (mod.options ?? {}) as Record<string, unknown>;
  instance.options = options;
  registry.scenarioOf = () => als.getStore()?.vu.scenario.name;
  registry.setSubmetrics(submetricKeys(options.thresholds));
  const agg = new Aggregate();

  let setupData: unknown;
  if (typeof mod.setup === "function") {
    try {
      setupData = JSON.parse(JSON.stringify((await runAsVu("setup", plans[0]!, mod.setup)) ?? null));
    } catch (e) {
      logVuError(undefined, e);
      return ExitCode.ScriptException;
    }
  }

  const totalVus = plans.reduce((n, p) => n + p.vus, 0);
  const pool = startPool(o, options, plans, setupData, agg, totalVus);
  let signal: NodeJS.Signals | undefined;
  await pool.until(() => pool.error !== undefined || pool.allReady);
  if (pool.error) {
    process.stderr.write(`ERRO ${pool.error}\n`);
    pool.killAll();
    return ExitCode.ScriptException;
  }
  for (const d of registry.defs.values()) agg.define(d);
  let thresholds: MetricThresholds[];
  try {
    thresholds = parseThresholds(options.thresholds, (n) => agg.typeOf(n));
  } catch (e) {
    process.stderr.write(`ERRO ${(e as Error).message}\n`);
    pool.killAll();
    return isThresholdError(e) ? ExitCode.InvalidConfig : ExitCode.ScriptException;
  }

  const onSignal = (s: NodeJS.Signals) => {
    if (signal) return pool.killAll(); // second signal: stop hard
    signal = s;
    process.stderr.write(`\nstopping (${s}): interrupting VUs, then the summary\n`);
    pool.stopAll();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const testStart = Date.now() + 300; // the same start instant for every worker
  pool.start(testStart);
  const planned = plannedDurationMs(plans);
  const timeTrends = thresholds.map((t) => t.name).filter((n) => agg.defs.get(n)?.contains === "time" && agg.typeOf(n) === "trend");
  const progressTrend = o.progressTrend ?? timeTrends[0];
  const progress = new Progress(Boolean(process.stdout.isTTY), planned, totalVus, progressTrend);
  const server = o.serverPid ? new ServerSampler(o.serverPid) : undefined;
  if (server && server.startCpuMs === undefined) notes.push(`--server-pid ${o.serverPid}: no such process (server RSS not sampled)`);
  server?.cpuPct();
  const sampler = new RunSampler({ pool, agg, totalVus, server, progress, thresholds, testStart });
  await new Promise((r) => setTimeout(r, Math.max(0, testStart - Date.now())));
  const every = setInterval(() => sampler.sample(), 1000);
  let stopDeadline: NodeJS.Timeout | undefined;
  await pool.until(() => {
    if ((pool.abortReason || signal || pool.error) && !stopDeadline) {
      pool.stopAll();
      stopDeadline = setTimeout(() => pool.killAll(), 10_000); // workers that do not stop in 10 s are killed
    }
    return pool.allDone;
  });
  clearInterval(every);
  clearTimeout(stopDeadline);
  sampler.sample(true);
  progress.finish();
  pool.exitAll();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  if (typeof mod.teardown === "function") {
    try {
      await runAsVu("teardown", plans[0]!, mod.teardown, setupData);
    } catch (e) {
      logVuError(undefined, e);
    }
  }
  agg.merge(registry.flush()); // what setup/teardown recorded in this process

  const durationMs = Date.now() - testStart;
  if (server) serverCpuPerMessage(server, agg);
  const results = evaluateThresholds(thresholds, agg, durationMs / 1000);
  const lagP99 = agg.total.get("runner_event_loop_lag_p99")?.agg("p(99)", 0) ?? 0;
  const trendP99 = progressTrend ? (agg.total.get(progressTrend)?.agg("p(99)", 0) ?? 0) : 0;
  if (progressTrend && lagP99 > 5 && lagP99 > 0.2 * trendP99) {
    notes.push(`the runner's event loop was busy (delay p99 ${lagP99.toFixed(1)} ms): latencies include up to that much load-generator queueing; add --workers or lower the load`);
  }
  if (pool.error) notes.push(`worker error: ${pool.error.split("\n")[0]}`);
  for (const n of notes) process.stderr.write(`WARN ${n}\n`);

  const data = buildSummaryData({ agg, results, options, durationMs, setupData, noColor: true });
  if (o.summaryExport) writeFileSync(o.summaryExport, JSON.stringify(data, null, 2));
  if (!o.noSummary) await printSummary(mod, data);

  const code = exitCodeOf(pool, sampler.abortedByThreshold !== undefined, results, signal);
  if (pool.abortReason) process.stderr.write(`test aborted: ${pool.abortReason}\n`);

  if (o.out) {
    writeFileSync(o.out, renderReport({ script: o.script, startedAt, exitCode: code, series: sampler.series, summary: data, thresholds: results, notes }));
    process.stderr.write(`report written to ${o.out}\n`);
  }
  return code;
}
