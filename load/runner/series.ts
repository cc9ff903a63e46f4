/**
 * Time series for the live progress line and the HTML report: one point per second
 * with VUs, sockets, message rates, per-interval Trend percentiles, the workers'
 * event-loop delay and (with --server-pid) the server's RSS and CPU from /proc.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Sink } from "./sinks.ts";

export type TrendPoint = { p50: number; p90: number; p99: number; max: number; count: number };

export type SeriesPoint = {
  /** Seconds since the test started. */
  t: number;
  vus: number;
  sockets: number;
  connecting: number;
  paused: number;
  msgsInPerSec: number;
  msgsOutPerSec: number;
  bytesInPerSec: number;
  iterationsPerSec: number;
  trends: Record<string, TrendPoint>;
  /** Worst worker's event-loop delay p99 / max over the interval. */
  lagP99Ms: number;
  lagMaxMs: number;
  runnerRssBytes: number;
  serverRssBytes?: number;
  /** Server CPU over the interval, in % of one core. */
  serverCpuPct?: number;
};

export function trendPoint(s: Sink): TrendPoint {
  return {
    p50: s.agg("med", 0)!,
    p90: s.agg("p(90)", 0)!,
    p99: s.agg("p(99)", 0)!,
    max: s.agg("max", 0)!,
    count: s.agg("count", 0)!,
  };
}

export function counterRate(interval: Map<string, Sink>, name: string, seconds: number): number {
  const s = interval.get(name);
  return s && seconds > 0 ? s.agg("count", 0)! / seconds : 0;
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Samples another process's RSS and CPU time from /proc (Linux). */
export class ServerSampler {
  private lastCpuMs: number | undefined;
  private lastAt = 0;
  readonly startCpuMs: number | undefined;

  constructor(readonly pid: number) {
    this.startCpuMs = this.cpuMs();
  }

  rssBytes(): number | undefined {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined; // the server exited
    }
  }

  /** User + system CPU time the process has used, in ms. */
  cpuMs(): number | undefined {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond();
    } catch {
      return undefined;
    }
  }

  /** CPU % of one core since the previous call. */
  cpuPct(): number | undefined {
    const now = performance.now();
    const cpu = this.cpuMs();
    const prev = this.lastCpuMs;
    const prevAt = this.lastAt;
    this.lastCpuMs = cpu;
    this.lastAt = now;
    if (cpu === undefined || prev === undefined || now <= prevAt) return undefined;
    return ((cpu - prev) / (now - prevAt)) * 100;
  }
}
