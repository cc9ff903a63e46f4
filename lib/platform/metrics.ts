/**
 * A small Prometheus metrics registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format. Web-standard code only (runs on Deno too).
 */

type Labels = Record<string, string>;

/** A label value as the exposition format writes it: `\` → `\\`, `"` → `\"`, newline → `\n`. */
export const escapeLabelValue = (value: string): string =>
  value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));

/** HELP text as the exposition format writes it: `\` → `\\`, newline → `\n`. */
export const escapeHelp = (help: string): string => help.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));

const render = (labels: Labels) => Object.keys(labels).sort().map((k) => `${k}="${escapeLabelValue(String(labels[k]))}"`).join(",");
/**
 * Series keys by label object: hot paths (a counter per upstream frame) pass the same
 * object each time, so its key is built once. A label object must not change after use.
 */
const keys = new WeakMap<Labels, string>();
const key = (labels: Labels | undefined): string => {
  if (!labels) return "";
  let k = keys.get(labels);
  if (k === undefined) keys.set(labels, (k = render(labels)));
  return k;
};

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: string) {}
  abstract render(): string[];
}

export class Counter extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels?: Labels, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ""} ${v}`);
  }
}

export class Gauge extends Metric {
  private values = new Map<string, number | (() => number)>();
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(value: number | (() => number), labels?: Labels): void {
    this.values.set(key(labels), value);
  }
  get(labels?: Labels): number {
    const v = this.values.get(key(labels));
    return typeof v === "function" ? v() : v ?? 0;
  }
  /** Drop every series (gauges rebuilt from a snapshot, so gone label sets disappear). */
  clear(): void {
    this.values.clear();
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ""} ${typeof v === "function" ? v() : v}`);
  }
}

/** Latency histogram in milliseconds with fixed buckets. */
export class Histogram extends Metric {
  private series = new Map<string, { counts: number[]; sum: number; n: number }>();
  constructor(name: string, help: string, readonly buckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000]) {
    super(name, help, "histogram");
  }
  observe(value: number, labels?: Labels): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, n: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.n++;
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      const sep = k ? "," : "";
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.n}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ""} ${s.n}`);
    }
    return out;
  }
}

export class Metrics {
  private all = new Map<string, Metric>();
  counter(name: string, help: string): Counter {
    return this.get(name, () => new Counter(name, help)) as Counter;
  }
  gauge(name: string, help: string): Gauge {
    return this.get(name, () => new Gauge(name, help)) as Gauge;
  }
  histogram(name: string, help: string, buckets?: number[]): Histogram {
    return this.get(name, () => new Histogram(name, help, buckets)) as Histogram;
  }
  private get(name: string, make: () => Metric): Metric {
    let m = this.all.get(name);
    if (!m) this.all.set(name, (m = make()));
    return m;
  }
  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const m of this.all.values()) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return out.join("\n") + "\n";
  }
}
