/**
 * The end-of-test summary: thresholds evaluated on the merged totals, the data object
 * k6 passes to handleSummary(data) (metrics → {type, contains, values, thresholds},
 * root_group, options, state), and writing handleSummary's result the way k6 does
 * ("stdout", "stderr", or a file path → content).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Aggregate } from "./aggregate.ts";
import { newSink, summaryValues } from "./sinks.ts";
import { evaluate, type MetricThresholds } from "./thresholds.ts";

export const DEFAULT_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)"];

export type ThresholdResult = { key: string; source: string; ok: boolean; actual: number; abortOnFail: boolean; delayAbortEvalMs: number };

export function evaluateThresholds(list: MetricThresholds[], agg: Aggregate, durationSec: number): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const mt of list) {
    const sink = agg.total.get(mt.key);
    for (const t of mt.list) {
      const { ok, actual } = evaluate(t, sink, durationSec);
      out.push({ key: mt.key, source: t.source, ok, actual, abortOnFail: t.abortOnFail, delayAbortEvalMs: t.delayAbortEvalMs });
    }
  }
  return out;
}

/** k6's root_group id is the md5 of its path; the root group's path is "". */
const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

export type SummaryData = {
  root_group: { name: string; path: string; id: string; groups: unknown[]; checks: Array<{ name: string; path: string; id: string; passes: number; fails: number }> };
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, { type: string; contains: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  setup_data?: unknown;
};

export function buildSummaryData(p: {
  agg: Aggregate;
  results: ThresholdResult[];
  options: Record<string, unknown>;
  durationMs: number;
  setupData: unknown;
  noColor: boolean;
}): SummaryData {
  const trendStats = Array.isArray(p.options.summaryTrendStats) ? (p.options.summaryTrendStats as string[]) : DEFAULT_TREND_STATS;
  const durationSec = p.durationMs / 1000;
  const metrics: SummaryData["metrics"] = {};
  const withThresholds = new Set(p.results.map((r) => r.key));
  const keys = new Set([...p.agg.total.keys(), ...withThresholds]);
  for (const key of [...keys].sort()) {
    const def = p.agg.defs.get(key.split("{")[0]!);
    if (!def) continue;
    const sink = p.agg.total.get(key);
    if (!sink?.seen && !withThresholds.has(key)) continue; // like k6, unobserved metrics are left out
    const entry: SummaryData["metrics"][string] = {
      type: def.type,
      contains: def.contains,
      values: summaryValues(sink ?? newSink(def.type), trendStats, durationSec),
    };
    const ths = p.results.filter((r) => r.key === key);
    if (ths.length) entry.thresholds = Object.fromEntries(ths.map((r) => [r.source, { ok: r.ok }]));
    metrics[key] = entry;
  }
  const checks = [...p.agg.checks].map(([name, c]) => ({ name, path: `::${name}`, id: name, passes: c.passes, fails: c.fails }));
  const data: SummaryData = {
    root_group: { name: "", path: "", id: EMPTY_MD5, groups: [], checks },
    options: { summaryTrendStats: trendStats, summaryTimeUnit: String(p.options.summaryTimeUnit ?? ""), noColor: p.noColor },
    state: { isStdOutTTY: Boolean(process.stdout.isTTY), isStdErrTTY: Boolean(process.stderr.isTTY), testRunDurationMs: p.durationMs },
    metrics,
  };
  if (p.setupData !== undefined) data.setup_data = p.setupData;
  return data;
}

/** Write handleSummary's result: keys "stdout"/"stderr" print, other keys are file paths. */
export function writeSummaryOutputs(result: unknown, cwd = process.cwd()): string[] {
  if (result === null || result === undefined) return [];
  if (typeof result !== "object") throw new TypeError(`handleSummary() must return an object of {destination: content}, got ${typeof result}`);
  const written: string[] = [];
  for (const [dest, content] of Object.entries(result)) {
    const body = typeof content === "string" ? content : content instanceof ArrayBuffer ? Buffer.from(content) : JSON.stringify(content);
    if (dest === "stdout") process.stdout.write(body);
    else if (dest === "stderr") process.stderr.write(body);
    else {
      const file = resolve(cwd, dest);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, body);
      written.push(file);
    }
  }
  return written;
}
