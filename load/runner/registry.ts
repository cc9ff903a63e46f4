/**
 * The metric registry of one process (main or worker): metric definitions, the sinks
 * that accumulate samples since the last flush, sub-metrics (`name{tag:value}`, created
 * for every threshold that names one, as k6 does) and check results.
 */
import { newSink, type Contains, type MetricDef, type MetricType, type Sink, type SinkDelta } from "./sinks.ts";

export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;

export class MetricDefinitionError extends Error {
  override name = "MetricDefinitionError";
}
export const isMetricDefinitionError = (e: unknown): e is MetricDefinitionError => e instanceof MetricDefinitionError;

export type Tags = Record<string, string>;
export type MetricKey = { name: string; tags: Tags | undefined };

/** Parse `name` or `name{tag:value,other:"x y"}`; throws RangeError when malformed. */
export function parseMetricKey(key: string): MetricKey {
  const m = /^([^{}\s]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!m) throw new RangeError(`bad metric name ${JSON.stringify(key)}: expected name or name{tag:value}`);
  if (m[2] === undefined) return { name: m[1]!, tags: undefined };
  const tags: Tags = {};
  for (const part of m[2].split(",")) {
    const i = part.indexOf(":");
    if (i <= 0) throw new RangeError(`bad sub-metric selector ${JSON.stringify(key)}: expected {tag:value}`);
    tags[part.slice(0, i).trim()] = part.slice(i + 1).trim().replace(/^["']|["']$/g, "");
  }
  return { name: m[1]!, tags };
}

export type Flush = {
  defs: MetricDef[];
  deltas: Record<string, SinkDelta>;
  checks: Record<string, { passes: number; fails: number }>;
};

type Selector = { key: string; tags: Array<[string, string]> };

export class Registry {
  readonly defs = new Map<string, MetricDef>();
  private sinks = new Map<string, Sink>();
  private selectors = new Map<string, Selector[]>();
  private checks = new Map<string, { passes: number; fails: number }>();
  /** Returns the scenario of the running VU code, for the implicit `scenario` tag. */
  scenarioOf: () => string | undefined = () => undefined;

  /** Define (or look up) a metric; k6 refuses to redefine a name with another type. */
  define(name: string, type: MetricType, contains: Contains = "default"): MetricDef {
    const old = this.defs.get(name);
    if (old) {
      if (old.type !== type) {
        throw new MetricDefinitionError(`metric "${name}" already exists as a ${old.type}, cannot redefine it as a ${type}`);
      }
      return old;
    }
    if (!METRIC_NAME.test(name)) {
      throw new MetricDefinitionError(`invalid metric name ${JSON.stringify(name)}: use letters, digits and _ (max 128)`);
    }
    const def = { name, type, contains };
    this.defs.set(name, def);
    return def;
  }

  /** Sub-metrics to track, as `name{tag:value}` keys (from the thresholds). */
  setSubmetrics(keys: Iterable<string>): void {
    this.selectors.clear();
    for (const key of keys) {
      const { name, tags } = parseMetricKey(key);
      if (!tags) continue;
      const list = this.selectors.get(name) ?? [];
      list.push({ key, tags: Object.entries(tags) });
      this.selectors.set(name, list);
    }
  }

  add(name: string, value: number, tags?: Tags): void {
    const def = this.defs.get(name);
    if (!def) throw new MetricDefinitionError(`metric "${name}" was never defined`);
    this.sink(name, def.type).add(value);
    const sel = this.selectors.get(name);
    if (sel) this.addToSubmetrics(def.type, value, sel, tags);
  }

  private addToSubmetrics(type: MetricType, value: number, sel: Selector[], tags: Tags | undefined): void {
    const scenario = this.scenarioOf();
    for (const s of sel) {
      let ok = true;
      for (const [k, v] of s.tags) {
        const actual = tags?.[k] ?? (k === "scenario" ? scenario : undefined);
        if (actual === undefined || String(actual) !== v) {
          ok = false;
          break;
        }
      }
      if (ok) this.sink(s.key, type).add(value);
    }
  }

  addCheck(name: string, ok: boolean): void {
    const c = this.checks.get(name) ?? { passes: 0, fails: 0 };
    if (ok) c.passes++;
    else c.fails++;
    this.checks.set(name, c);
  }

  private sink(key: string, type: MetricType): Sink {
    let s = this.sinks.get(key);
    if (!s) {
      s = newSink(type);
      this.sinks.set(key, s);
    }
    return s;
  }

  /** Called before each flush, so hot paths can keep plain counters and add them in bulk. */
  readonly beforeFlush: Array<() => void> = [];

  /** Everything recorded since the previous flush; resets the sinks. */
  flush(): Flush {
    for (const f of this.beforeFlush) f();
    const deltas: Record<string, SinkDelta> = {};
    for (const [key, s] of this.sinks) {
      const d = s.delta();
      if (d) deltas[key] = d;
    }
    this.sinks = new Map();
    const checks = Object.fromEntries(this.checks);
    this.checks = new Map();
    return { defs: [...this.defs.values()], deltas, checks };
  }
}

/** The registry of this process; k6/metrics, k6/websockets and the runner all record into it. */
export const registry = new Registry();
