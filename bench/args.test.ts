/** bench/args.ts: parseArgs-based options of the benchmark scripts. */
import { describe, expect, it } from "vitest";
import { benchArgs } from "./args.ts";

describe("benchArgs()", () => {
  const spec = { strings: ["clients", "edge-workers"], flags: ["no-report"] } as const;

  it("reads --name value, --name=value and flags, defaults otherwise", () => {
    const a = benchArgs(spec, ["--clients", "200", "--edge-workers=3", "--no-report"]);
    expect([a.str("clients", "1"), a.str("edge-workers", "1"), a.flag("no-report")]).toEqual(["200", "3", true]);
    const b = benchArgs(spec, []);
    expect([b.str("clients", "1000"), b.get("edge-workers"), b.flag("no-report")]).toEqual(["1000", undefined, false]);
  });

  it("falls back to BENCH_<NAME> only when asked to", () => {
    process.env.BENCH_EDGE_WORKERS = "7";
    try {
      expect(benchArgs({ ...spec, env: true }, []).str("edge-workers", "1")).toBe("7");
      expect(benchArgs({ ...spec, env: true }, ["--edge-workers", "2"]).str("edge-workers", "1")).toBe("2");
      expect(benchArgs(spec, []).str("edge-workers", "1")).toBe("1");
    } finally {
      delete process.env.BENCH_EDGE_WORKERS;
    }
  });

  it("stops on an unknown option, naming it", () => {
    expect(() => benchArgs(spec, ["--clinets", "5"])).toThrow(/--clinets/);
  });
});
