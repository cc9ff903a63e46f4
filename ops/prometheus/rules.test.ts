/**
 * The alert rules through Debian's real promtool: they load (`check rules`), and each
 * alert fires on the series it guards against and not on healthy ones (`test rules`
 * with alerts.test.yml). Broken copies prove both checks can fail.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRules, ensurePromtool, testRules } from "../../test/promtool.ts";

beforeAll(() => ensurePromtool(), 600_000);
const HERE = import.meta.dirname;
const RULES = join(HERE, "alerts.yml");
const TESTS = join(HERE, "alerts.test.yml");
const tmp = mkdtempSync(join(tmpdir(), "tf-rules-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the rules with one edit, beside a copy of the unit tests. */
function mutated(from: string, to: string): string {
  const rules = readFileSync(RULES, "utf8");
  expect(rules).toContain(from);
  const dir = mkdtempSync(join(tmp, "m-"));
  writeFileSync(join(dir, "alerts.yml"), rules.replace(from, to));
  writeFileSync(join(dir, "alerts.test.yml"), readFileSync(TESTS, "utf8"));
  return dir;
}

describe("Prometheus alert rules", () => {
  it("load in promtool: data stale, edge stale, archiver lag, restarts, NATS disconnected, target down", async () => {
    const r = await checkRules(RULES);
    expect(r.out).toContain("SUCCESS: 6 rules found");
    expect(r.code).toBe(0);
    const names = [...readFileSync(RULES, "utf8").matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(names).toEqual(["TickflowDataStale", "TickflowEdgeDataStale", "TickflowArchiverLag", "TickflowActorRestarting", "TickflowNatsDisconnected", "TickflowTargetDown"]);
  });

  it("fire on the series they guard against and stay silent on healthy ones", async () => {
    const r = await testRules(TESTS);
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("fail their unit tests when an alert can no longer fire", async () => {
    const dir = mutated("expr: max by (instance, stage, actor) (tickflow_actor_stale) == 1", "expr: max by (instance, stage, actor) (tickflow_actor_stale) == 2");
    const r = await testRules(join(dir, "alerts.test.yml"));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("alertname: TickflowDataStale");
  });

  it("fail their unit tests when the archiver lag threshold is off", async () => {
    const dir = mutated("(tickflow_archiver_lag_seconds) > 300", "(tickflow_archiver_lag_seconds) > 3000");
    expect((await testRules(join(dir, "alerts.test.yml"))).code).not.toBe(0);
  });

  it("are rejected by promtool when an expression does not parse", async () => {
    const dir = mutated("expr: tickflow_nats_connected == 0", "expr: tickflow_nats_connected == == 0");
    const r = await checkRules(join(dir, "alerts.yml"));
    expect(r.code).not.toBe(0);
  });
});
