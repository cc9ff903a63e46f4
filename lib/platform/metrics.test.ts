/**
 * metrics.ts: label values and HELP text are escaped as the Prometheus text exposition
 * format says, checked by hand and by the real promtool parser.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { checkMetrics, ensurePromtool } from "../../test/promtool.ts";
import { escapeLabelValue, Metrics } from "./metrics.ts";

const nasty = 'a "quoted" C:\\path\nnext line';

describe("Prometheus exposition escaping", () => {
  beforeAll(() => ensurePromtool());

  it("escapeLabelValue() escapes backslash, double quote and newline and nothing else", () => {
    expect(escapeLabelValue(nasty)).toBe('a \\"quoted\\" C:\\\\path\\nnext line');
    expect(escapeLabelValue("BTC-USD_1m é")).toBe("BTC-USD_1m é");
  });

  it("render() writes escaped label values that promtool reads back as one series each", async () => {
    const m = new Metrics();
    m.counter("tickflow_test_errors_total", "errors by reason\\kind").inc({ reason: nasty });
    m.counter("tickflow_test_errors_total", "").inc({ reason: 'other"' });
    m.gauge("tickflow_test_lag", "lag").set(3, { room: "back\\slash" });
    m.histogram("tickflow_test_wait", "latency").observe(4, { venue: 'q"' });
    const text = m.render();
    expect(text).toContain('tickflow_test_errors_total{reason="a \\"quoted\\" C:\\\\path\\nnext line"} 1');
    expect(text).toContain('tickflow_test_errors_total{reason="other\\""} 1');
    expect(text).toContain('tickflow_test_lag{room="back\\\\slash"} 3');
    expect(text).toContain('tickflow_test_wait_bucket{venue="q\\"",le="5"} 1');
    expect(text).toContain("# HELP tickflow_test_errors_total errors by reason\\\\kind");
    expect(text.split("\n").filter((l) => l.startsWith("tickflow_test_errors_total{"))).toHaveLength(2);
    expect(await checkMetrics(text)).toEqual([]);
  });

  it("distinct raw values stay distinct series (the old `_` replacement merged them)", () => {
    const c = new Metrics().counter("tickflow_test_total", "t");
    c.inc({ k: 'a"b' });
    c.inc({ k: "a_b" });
    c.inc({ k: "a\\b" });
    expect([c.get({ k: 'a"b' }), c.get({ k: "a_b" }), c.get({ k: "a\\b" })]).toEqual([1, 1, 1]);
  });
});
