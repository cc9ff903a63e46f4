/**
 * `npm run load -- <script> [flags]`: the command line as the runner reads it (flags in
 * both `--flag value` and `--flag=value` form, repeatable -e, __ENV shortcuts, the
 * errors a mistyped command line gets).
 */
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "./args.ts";

const parse = (...argv: string[]) => parseArgs(argv, { HOME: "/h" });
const usage = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error(`no UsageError for ${argv.join(" ")}`);
};

describe("load runner command line", () => {
  it("reads every flag, in --flag value and --flag=value form", () => {
    const o = parse(
      "--vus", "3", "--duration=2m", "--iterations", "7", "--out", "r.html", "--summary-export=s.json",
      "--server-pid", "42", "--workers=2", "--max-sockets-per-worker", "900", "--source-ips", "16",
      "--progress-trend", "ws_connecting", "--no-summary", "load/fanout.js",
    );
    expect(o).toMatchObject({
      script: "load/fanout.js", cli: { vus: 3, duration: "2m", iterations: 7 }, out: "r.html", summaryExport: "s.json",
      serverPid: 42, workers: 2, maxSocketsPerWorker: 900, sourceAddresses: 16, progressTrend: "ws_connecting", noSummary: true,
    });
    expect(o.help).toBeUndefined();
  });

  it("defaults: 15,000 sockets per worker, the process environment, TICKFLOW_RUNNER=1", () => {
    const o = parse("x.js");
    expect(o).toEqual({ script: "x.js", env: { HOME: "/h", TICKFLOW_RUNNER: "1" }, cli: {}, maxSocketsPerWorker: 15_000 });
  });

  it("-e/--env is repeatable and wins over the --vus/--duration/--iterations shortcuts", () => {
    const o = parse("-e", "A=1", "--env=B=x=y", "--vus", "5", "--duration", "10s", "--iterations", "2", "-e", "VUS=9", "s.js");
    expect(o.env).toMatchObject({ A: "1", B: "x=y", VUS: "9", DURATION: "10s", ITERATIONS: "2", HOME: "/h" });
    expect(o.cli.vus).toBe(5);
  });

  it("-h and --help ask for the usage, without a script", () => {
    expect(parse("-h").help).toBe(true);
    expect(parse("--help").help).toBe(true);
  });

  it("names what is wrong with a bad command line", () => {
    expect(usage()).toBe("no script given");
    expect(usage("a.js", "b.js")).toBe("one script only (got a.js and b.js)");
    expect(usage("--bogus", "a.js")).toMatch(/^unknown flag --bogus/);
    expect(usage("--vus", "0", "a.js")).toBe('--vus needs an integer ≥ 1, got "0"');
    expect(usage("--workers=1.5", "a.js")).toBe('--workers needs an integer ≥ 1, got "1.5"');
    expect(usage("a.js", "--vus")).toMatch(/^--vus needs/);
    expect(usage("--duration", "soon", "a.js")).toMatch(/^--duration: /);
    expect(usage("-e", "novalue", "a.js")).toBe('-e needs K=V, got "novalue"');
    expect(usage("--source-ips", "255", "a.js")).toBe("--source-ips must be ≤ 254");
  });
});
