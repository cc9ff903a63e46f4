/**
 * k6 thresholds: `options.thresholds = { metric: ['p(99)<50', { threshold: 'rate>0.99',
 * abortOnFail: true, delayAbortEval: '10s' }], 'metric{tag:value}': [...] }`, parsed
 * and evaluated with k6's rules (which aggregation each metric type allows, which
 * operators exist). A failed threshold makes the runner exit with code 99, like k6.
 */
import { parseDuration } from "./duration.ts";
import { parseMetricKey, type Tags } from "./registry.ts";
import { PERCENTILE, type MetricType, type Sink } from "./sinks.ts";

export class ThresholdError extends Error {
  override name = "ThresholdError";
}
export const isThresholdError = (e: unknown): e is ThresholdError => e instanceof ThresholdError;

export type Op = "<" | "<=" | ">" | ">=" | "==" | "===" | "!=";
export type Threshold = {
  source: string;
  agg: string;
  op: Op;
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
};
export type MetricThresholds = { key: string; name: string; tags: Tags | undefined; list: Threshold[] };

const EXPR = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*$/i;

const ALLOWED: Record<MetricType, (agg: string) => boolean> = {
  counter: (a) => a === "count" || a === "rate",
  gauge: (a) => a === "value",
  rate: (a) => a === "rate",
  trend: (a) => ["avg", "min", "max", "med"].includes(a) || PERCENTILE.test(a),
};

export function parseThreshold(source: string): Omit<Threshold, "abortOnFail" | "delayAbortEvalMs"> {
  const m = EXPR.exec(source);
  if (!m) throw new ThresholdError(`bad threshold ${JSON.stringify(source)}: expected e.g. 'p(99)<50', 'rate>0.99', 'count<1'`);
  return { source, agg: m[1]!.toLowerCase(), op: m[2] as Op, value: Number(m[3]) };
}

/** Parse `options.thresholds`; `typeOf` gives a metric's type (undefined = unknown metric). */
export function parseThresholds(
  raw: unknown,
  typeOf: (name: string) => MetricType | undefined,
): MetricThresholds[] {
  if (raw === undefined) return [];
  if (typeof raw !== "object" || raw === null) throw new ThresholdError("options.thresholds must be an object");
  const out: MetricThresholds[] = [];
  for (const [key, list] of Object.entries(raw)) {
    let parsed;
    try {
      parsed = parseMetricKey(key);
    } catch (e) {
      throw new ThresholdError((e as Error).message, { cause: e });
    }
    const type = typeOf(parsed.name);
    if (!type) throw new ThresholdError(`threshold on unknown metric "${parsed.name}": define it in the init context first`);
    if (!Array.isArray(list)) throw new ThresholdError(`thresholds of "${key}" must be an array`);
    const items: Threshold[] = list.map((item: unknown) => {
      const obj = typeof item === "string" ? { threshold: item } : (item as Record<string, unknown>);
      if (!obj || typeof obj.threshold !== "string") {
        throw new ThresholdError(`threshold of "${key}" must be a string or {threshold: string, ...}`);
      }
      const t = parseThreshold(obj.threshold);
      if (!ALLOWED[type](t.agg)) {
        throw new ThresholdError(`threshold '${t.source}' on "${key}": a ${type} metric has no "${t.agg}"`);
      }
      return {
        ...t,
        abortOnFail: obj.abortOnFail === true,
        delayAbortEvalMs: typeof obj.delayAbortEval === "string" ? parseDuration(obj.delayAbortEval) : 0,
      };
    });
    out.push({ key, name: parsed.name, tags: parsed.tags, list: items });
  }
  return out;
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
    case "===":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/** Evaluate one threshold; a metric without samples evaluates on zero values (empty k6 sinks report 0). */
export function evaluate(t: Threshold, sink: Sink | undefined, durationSec: number): { ok: boolean; actual: number } {
  const actual = sink?.agg(t.agg, durationSec) ?? 0;
  return { ok: compare(actual, t.op, t.value), actual };
}
