/**
 * `k6/metrics`: Counter, Gauge, Rate, Trend. Samples go into this process's registry;
 * the worker ships them to the main process once a second.
 */
import { registry, type Tags } from "../registry.ts";
import type { MetricType } from "../sinks.ts";
import { currentCtx } from "../vu.ts";

abstract class Metric {
  readonly name: string;
  static readonly kind: MetricType;

  constructor(name: string, isTime = false) {
    if (currentCtx()) throw new Error(`metric "${name}": metrics must be created in the init context`);
    this.name = name;
    registry.define(name, (this.constructor as typeof Metric).kind, isTime ? "time" : "default");
  }

  add(value: number | boolean, tags?: Record<string, string | number | boolean>): void {
    const v = typeof value === "boolean" ? (value ? 1 : 0) : Number(value);
    if (Number.isNaN(v)) throw new TypeError(`metric "${this.name}": value must be a number or boolean, got ${String(value)}`);
    registry.add(this.name, v, tags as Tags | undefined);
  }
}

export class Counter extends Metric {
  static override readonly kind: MetricType = "counter";
}
export class Gauge extends Metric {
  static override readonly kind: MetricType = "gauge";
}
export class Rate extends Metric {
  static override readonly kind: MetricType = "rate";
}
export class Trend extends Metric {
  static override readonly kind: MetricType = "trend";
}

export default { Counter, Gauge, Rate, Trend };
