import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";
import { Histogram } from "./histogram.ts";
import { planScenarios, rampingTarget } from "./options.ts";
import { parseMetricKey } from "./registry.ts";
import { newSink } from "./sinks.ts";
import { evaluate, parseThresholds, ThresholdError } from "./thresholds.ts";

describe("runner building blocks", () => {
  it("Histogram percentiles interpolate like k6 and stay within 0.5 % of the exact value", () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.add(i);
    // k6: sorted samples, rank p/100 × (n − 1), linear interpolation.
    for (const [p, exact] of [[50, 500.5], [90, 900.1], [99, 990.01], [99.9, 999.001]] as const) {
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.005);
    }
    expect(h.percentile(0)).toBe(1);
    expect(h.percentile(100)).toBe(1000);
    const merged = new Histogram();
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).add(i);
    merged.merge(a.serialize());
    merged.merge(b.serialize());
    expect(merged.count).toBe(1000);
    expect(merged.percentile(99)).toBeCloseTo(h.percentile(99), 6);
  });

  it("Histogram handles zero and negative samples (clock skew) in order", () => {
    const h = new Histogram();
    for (const v of [-5, -1, 0, 0, 3]) h.add(v);
    expect(h.percentile(0)).toBe(-5);
    expect(h.percentile(50)).toBe(0);
    expect(h.percentile(25)).toBeCloseTo(-1, 1);
    expect(h.avg).toBeCloseTo(-0.6);
  });

  it("parseDuration reads k6 durations (a bare number is milliseconds, as everywhere in Tickflow)", () => {
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("30")).toBe(30);
    expect(() => parseDuration("soon")).toThrow(/bad duration/);
  });

  it("parseThresholds accepts k6 syntax and rejects aggregations a metric type lacks", () => {
    const types = { lat: "trend", ok: "rate", n: "counter", g: "gauge" } as const;
    const typeOf = (n: string) => types[n as keyof typeof types];
    const t = parseThresholds(
      { lat: ["p(99.9)<50", { threshold: "avg<=10", abortOnFail: true, delayAbortEval: "10s" }], "ok{phase:slow}": ["rate>0.99"], n: ["count<1"], g: ["value>=0"] },
      typeOf,
    );
    expect(t.map((x) => x.key)).toEqual(["lat", "ok{phase:slow}", "n", "g"]);
    expect(t[0]!.list[1]).toMatchObject({ agg: "avg", op: "<=", value: 10, abortOnFail: true, delayAbortEvalMs: 10_000 });
    expect(t[1]!.tags).toEqual({ phase: "slow" });
    expect(() => parseThresholds({ ok: ["p(99)<5"] }, typeOf)).toThrow(ThresholdError);
    expect(() => parseThresholds({ lat: ["p99<5"] }, typeOf)).toThrow(/bad threshold/);
    expect(() => parseThresholds({ nope: ["count<1"] }, typeOf)).toThrow(/unknown metric/);
  });

  it("evaluate() compares the aggregate with the threshold value", () => {
    const rate = newSink("rate");
    for (let i = 0; i < 100; i++) rate.add(i < 99 ? 1 : 0);
    const [ok, tight] = parseThresholds({ r: ["rate>=0.99", "rate>0.99"] }, () => "rate")[0]!.list;
    expect(evaluate(ok!, rate, 1)).toEqual({ ok: true, actual: 0.99 });
    expect(evaluate(tight!, rate, 1).ok).toBe(false);
    const counter = parseThresholds({ c: ["count<1"] }, () => "counter")[0]!.list[0]!;
    expect(evaluate(counter, undefined, 1)).toEqual({ ok: true, actual: 0 });
  });

  it("parseMetricKey splits sub-metric selectors", () => {
    expect(parseMetricKey("lat{phase:slow,room:\"alerts\"}")).toEqual({ name: "lat", tags: { phase: "slow", room: "alerts" } });
    expect(parseMetricKey("lat")).toEqual({ name: "lat", tags: undefined });
    expect(() => parseMetricKey("lat{phase}")).toThrow(RangeError);
  });

  it("planScenarios applies k6 defaults, numbers VUs across scenarios and rejects unknown executors", () => {
    const plans = planScenarios({
      scenarios: {
        a: { executor: "ramping-vus", startVUs: 0, stages: [{ duration: "10s", target: 10 }, { duration: "5s", target: 10 }] },
        b: { executor: "constant-vus", vus: 2, duration: "3s", startTime: "1s", exec: "other" },
      },
    });
    expect(plans.map((p) => [p.name, p.vus, p.firstVuId, p.durationMs, p.gracefulStopMs])).toEqual([
      ["a", 10, 1, 15_000, 30_000],
      ["b", 2, 11, 3_000, 30_000],
    ]);
    expect(plans[1]).toMatchObject({ startMs: 1000, exec: "other" });
    expect(rampingTarget(plans[0]!, 0)).toBe(0);
    expect(rampingTarget(plans[0]!, 5_000)).toBe(5);
    expect(rampingTarget(plans[0]!, 12_000)).toBe(10);
    expect(planScenarios({}, { vus: 3, duration: "2s" })[0]).toMatchObject({ executor: "constant-vus", vus: 3, durationMs: 2000 });
    expect(planScenarios({ iterations: 5 })[0]).toMatchObject({ executor: "shared-iterations", iterations: 5 });
    expect(() => planScenarios({ scenarios: { x: { executor: "externally-controlled" } } })).toThrow(/not supported/);
  });
});
