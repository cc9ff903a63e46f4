/**
 * The coordinator's once-a-second sample of a running test: merges the workers'
 * interval into one series point (rates, time-trend percentiles, sockets, RSS and CPU),
 * updates the progress line, and stops the pool when an abortOnFail threshold fails.
 */
import type { Aggregate } from "./aggregate.ts";
import type { WorkerPool } from "./pool.ts";
import type { Progress } from "./progress.ts";
import { counterRate, type ServerSampler, trendPoint, type SeriesPoint } from "./series.ts";
import { evaluateThresholds, type ThresholdResult } from "./summary.ts";
import type { MetricThresholds } from "./thresholds.ts";

export interface SamplerDeps {
  pool: WorkerPool;
  agg: Aggregate;
  totalVus: number;
  server: ServerSampler | undefined;
  progress: Progress;
  thresholds: MetricThresholds[];
  /** The test's start instant (ms); the first interval starts there. */
  testStart: number;
}

export class RunSampler {
  readonly series: SeriesPoint[] = [];
  /** The abortOnFail threshold that stopped the test, if one did. */
  abortedByThreshold: ThresholdResult | undefined;
  #lastSample: number;

  constructor(private readonly d: SamplerDeps) {
    this.#lastSample = d.testStart;
  }

  /** Take one sample; `final` drops a last interval too short to give fair per-second rates. */
  sample(final = false): void {
    const { pool, agg, totalVus, server, progress, thresholds, testStart } = this.d;
    const series = this.series;
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.#lastSample) / 1000);
    this.#lastSample = now;
    const stats = pool.stats;
    const vus = stats.reduce((n, s) => n + s.vusActive, 0);
    agg.add("vus", "gauge", vus);
    agg.add("vus_max", "gauge", totalVus);
    const rss = server?.rssBytes();
    if (rss !== undefined) agg.add("runner_server_rss_bytes", "gauge", rss, "data");
    const interval = agg.takeInterval();
    const trends: SeriesPoint["trends"] = {};
    for (const [k, s] of interval) if (s.type === "trend" && agg.defs.get(k)?.contains === "time" && !k.startsWith("runner_")) trends[k] = trendPoint(s);
    const p: SeriesPoint = {
      t: Math.max(0, (now - testStart) / 1000),
      vus,
      sockets: stats.reduce((n, s) => n + s.openSockets, 0),
      connecting: stats.reduce((n, s) => n + s.connectingSockets, 0),
      paused: stats.reduce((n, s) => n + s.pausedSockets, 0),
      msgsInPerSec: counterRate(interval, "ws_msgs_received", secs),
      msgsOutPerSec: counterRate(interval, "ws_msgs_sent", secs),
      bytesInPerSec: counterRate(interval, "data_received", secs),
      iterationsPerSec: counterRate(interval, "iterations", secs),
      trends,
      lagP99Ms: Math.max(0, ...stats.map((s) => s.lagP99Ms)),
      lagMaxMs: Math.max(0, ...stats.map((s) => s.lagMaxMs)),
      runnerRssBytes: stats.reduce((n, s) => n + s.rssBytes, 0) + process.memoryUsage.rss(),
      serverRssBytes: rss,
      serverCpuPct: server?.cpuPct(),
    };
    // A last, partial interval would show as a spike in the per-second rates.
    if (!final || secs >= 0.5 || series.length === 0) series.push(p);
    progress.update(p, now - testStart);
    if (!this.abortedByThreshold) {
      const elapsed = now - testStart;
      const failing = evaluateThresholds(thresholds, agg, elapsed / 1000).find((r) => r.abortOnFail && !r.ok && elapsed >= r.delayAbortEvalMs);
      if (failing) {
        this.abortedByThreshold = failing;
        pool.abortReason ??= `threshold '${failing.source}' on ${failing.key} failed (abortOnFail)`;
        pool.stopAll();
      }
    }
  }
}
