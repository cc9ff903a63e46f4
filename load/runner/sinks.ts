/**
 * Metric sinks: what each process accumulates per metric (and per sub-metric), how a
 * worker ships what it saw since the last flush, and how the main process merges it.
 * The aggregation names match k6's (count/rate, value/min/max, rate/passes/fails,
 * avg/min/med/max/p(N)/count).
 */
import { Histogram, type SerializedHistogram } from "./histogram.ts";

export type MetricType = "counter" | "gauge" | "rate" | "trend";
export type Contains = "default" | "time" | "data";
export type MetricDef = { name: string; type: MetricType; contains: Contains };

export type SinkDelta =
  | { t: "counter"; sum: number; n: number }
  | { t: "gauge"; value: number; min: number; max: number; at: number; n: number }
  | { t: "rate"; passes: number; total: number }
  | { t: "trend"; h: SerializedHistogram };

export interface Sink {
  readonly type: MetricType;
  add(v: number): void;
  merge(d: SinkDelta): void;
  /** What was recorded, for shipping; undefined when nothing was. */
  delta(): SinkDelta | undefined;
  /** Aggregate by k6 name (count, rate, value, p(99), ...); undefined if unknown for this type. */
  agg(name: string, durationSec: number): number | undefined;
  /** True once any sample arrived. */
  readonly seen: boolean;
}

class CounterSink implements Sink {
  readonly type = "counter";
  sum = 0;
  n = 0;
  add(v: number) {
    this.sum += v;
    this.n++;
  }
  merge(d: SinkDelta) {
    if (d.t !== "counter") return;
    this.sum += d.sum;
    this.n += d.n;
  }
  delta(): SinkDelta | undefined {
    return this.n ? { t: "counter", sum: this.sum, n: this.n } : undefined;
  }
  agg(name: string, durationSec: number) {
    if (name === "count") return this.sum;
    if (name === "rate") return durationSec > 0 ? this.sum / durationSec : 0;
    return undefined;
  }
  get seen() {
    return this.n > 0;
  }
}

class GaugeSink implements Sink {
  readonly type = "gauge";
  value = 0;
  min = Infinity;
  max = -Infinity;
  at = 0;
  n = 0;
  add(v: number) {
    this.value = v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.at = Date.now();
    this.n++;
  }
  merge(d: SinkDelta) {
    if (d.t !== "gauge") return;
    // Across processes the most recent value wins, as it would in one k6 instance.
    if (d.at >= this.at) {
      this.value = d.value;
      this.at = d.at;
    }
    if (d.min < this.min) this.min = d.min;
    if (d.max > this.max) this.max = d.max;
    this.n += d.n;
  }
  delta(): SinkDelta | undefined {
    return this.n ? { t: "gauge", value: this.value, min: this.min, max: this.max, at: this.at, n: this.n } : undefined;
  }
  agg(name: string) {
    if (name === "value") return this.value;
    if (name === "min") return this.n ? this.min : 0;
    if (name === "max") return this.n ? this.max : 0;
    return undefined;
  }
  get seen() {
    return this.n > 0;
  }
}

class RateSink implements Sink {
  readonly type = "rate";
  passes = 0;
  total = 0;
  add(v: number) {
    this.total++;
    if (v !== 0) this.passes++;
  }
  merge(d: SinkDelta) {
    if (d.t !== "rate") return;
    this.passes += d.passes;
    this.total += d.total;
  }
  delta(): SinkDelta | undefined {
    return this.total ? { t: "rate", passes: this.passes, total: this.total } : undefined;
  }
  agg(name: string) {
    if (name === "rate") return this.total ? this.passes / this.total : 0;
    if (name === "passes") return this.passes;
    if (name === "fails") return this.total - this.passes;
    return undefined;
  }
  get seen() {
    return this.total > 0;
  }
}

export const PERCENTILE = /^p\((\d+(?:\.\d+)?)\)$/;

class TrendSink implements Sink {
  readonly type = "trend";
  h = new Histogram();
  add(v: number) {
    this.h.add(v);
  }
  merge(d: SinkDelta) {
    if (d.t === "trend") this.h.merge(d.h);
  }
  delta(): SinkDelta | undefined {
    return this.h.count ? { t: "trend", h: this.h.serialize() } : undefined;
  }
  agg(name: string) {
    const h = this.h;
    switch (name) {
      case "avg":
        return h.avg;
      case "min":
        return h.count ? h.min : 0;
      case "max":
        return h.count ? h.max : 0;
      case "med":
        return h.percentile(50);
      case "count":
        return h.count;
    }
    const m = PERCENTILE.exec(name);
    return m ? h.percentile(Number(m[1])) : undefined;
  }
  get seen() {
    return this.h.count > 0;
  }
}

export function newSink(type: MetricType): Sink {
  switch (type) {
    case "counter":
      return new CounterSink();
    case "gauge":
      return new GaugeSink();
    case "rate":
      return new RateSink();
    case "trend":
      return new TrendSink();
  }
}

/** The `values` object k6 puts into the summary for one metric. */
export function summaryValues(sink: Sink, trendStats: string[], durationSec: number): Record<string, number> {
  switch (sink.type) {
    case "counter":
      return { count: sink.agg("count", durationSec)!, rate: sink.agg("rate", durationSec)! };
    case "gauge":
      return { value: sink.agg("value", 0)!, min: sink.agg("min", 0)!, max: sink.agg("max", 0)! };
    case "rate":
      return { rate: sink.agg("rate", 0)!, passes: sink.agg("passes", 0)!, fails: sink.agg("fails", 0)! };
    case "trend": {
      const out: Record<string, number> = {};
      for (const s of trendStats) {
        const v = sink.agg(s, durationSec);
        if (v !== undefined) out[s] = v;
      }
      return out;
    }
  }
}
