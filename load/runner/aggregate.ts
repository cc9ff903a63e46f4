/**
 * The coordinator's view of all metrics: flushes from every worker (and from the main
 * process, which runs setup/teardown) merged into totals for the summary and
 * thresholds, and into per-interval sinks for the live progress and the report charts.
 */
import type { Flush } from "./registry.ts";
import { newSink, type MetricDef, type MetricType, type Sink } from "./sinks.ts";

export class Aggregate {
  readonly defs = new Map<string, MetricDef>();
  readonly total = new Map<string, Sink>();
  private interval = new Map<string, Sink>();
  readonly checks = new Map<string, { passes: number; fails: number }>();

  define(def: MetricDef): void {
    if (!this.defs.has(def.name)) this.defs.set(def.name, def);
  }

  typeOf(name: string): MetricType | undefined {
    return this.defs.get(name)?.type;
  }

  /** Record a value from the coordinator itself (vus, server RSS, ...). */
  add(name: string, type: MetricType, value: number, contains: MetricDef["contains"] = "default"): void {
    this.define({ name, type, contains });
    for (const m of [this.total, this.interval]) this.sinkIn(m, name, type).add(value);
  }

  merge(f: Flush): void {
    for (const d of f.defs) this.define(d);
    for (const [key, delta] of Object.entries(f.deltas)) {
      const type = this.typeOf(key.split("{")[0]!);
      if (!type) continue;
      this.sinkIn(this.total, key, type).merge(delta);
      this.sinkIn(this.interval, key, type).merge(delta);
    }
    for (const [name, c] of Object.entries(f.checks)) {
      const t = this.checks.get(name) ?? { passes: 0, fails: 0 };
      t.passes += c.passes;
      t.fails += c.fails;
      this.checks.set(name, t);
    }
  }

  /** Sinks holding what arrived since the previous call. */
  takeInterval(): Map<string, Sink> {
    const m = this.interval;
    this.interval = new Map();
    return m;
  }

  private sinkIn(m: Map<string, Sink>, key: string, type: MetricType): Sink {
    let s = m.get(key);
    if (!s) m.set(key, (s = newSink(type)));
    return s;
  }
}
