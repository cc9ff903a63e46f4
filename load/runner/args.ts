/** Command-line arguments of `npm run load -- <script> [flags]`, read with node:util parseArgs. */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from "node:util";
import { parseDuration } from "./duration.ts";
import type { RunOptions } from "./coordinator.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `usage: npm run load -- <script.js> [flags]

  --vus N                   VUs (sets __ENV.VUS; also the default scenario's VUs when the script has no scenarios)
  --duration D              e.g. 30s, 2m (sets __ENV.DURATION; idem)
  --iterations N            (sets __ENV.ITERATIONS; idem)
  -e, --env K=V             script environment (__ENV.K), repeatable; the process environment is included too
  --out report.html         write a self-contained HTML report with charts over time
  --summary-export F.json   write the handleSummary data object as JSON
  --server-pid PID          sample the server's RSS and CPU from /proc/PID (charts, runner_server_* metrics)
  --workers N               worker processes (default: enough for ≤ --max-sockets-per-worker sockets each,
                            estimated as VUs × __ENV.SOCKETS_PER_VU)
  --max-sockets-per-worker N  default 15000 (the machine allows 20,000 open files per process)
  --source-ips N            rotate 127.0.0.1…127.0.0.N as source address for 127.x targets
                            (default: max(8, sockets / 1000), at most 254)
  --progress-trend NAME     Trend shown in the progress line (default: first time Trend with a threshold)
  --no-summary              do not call handleSummary / print the summary
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  vus: { type: "string" },
  duration: { type: "string" },
  iterations: { type: "string" },
  env: { type: "string", short: "e", multiple: true },
  out: { type: "string" },
  "summary-export": { type: "string" },
  "server-pid": { type: "string" },
  workers: { type: "string" },
  "max-sockets-per-worker": { type: "string" },
  "source-ips": { type: "string" },
  "progress-trend": { type: "string" },
  "no-summary": { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/** node:util parseArgs over `argv`, its errors as UsageErrors in this CLI's words. */
function readArgv(argv: string[]) {
  try {
    return nodeParseArgs({ args: argv, options: OPTIONS, allowPositionals: true, tokens: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const named = /'(-[^' ]+)/.exec((e as Error).message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown flag ${named}`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /argument missing/.test((e as Error).message)) {
      throw new UsageError(`${named} needs a value`);
    }
    if (code?.startsWith("ERR_PARSE_ARGS_")) throw new UsageError((e as Error).message);
    throw e;
  }
}

/**
 * The runner's options from its command line (node:util parseArgs; flags as
 * `--flag value` or `--flag=value`, -e repeatable). Throws UsageError naming what is wrong.
 */
export function parseArgs(argv: string[], processEnv: NodeJS.ProcessEnv = process.env): RunOptions & { help?: boolean } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v;
  const o: RunOptions & { help?: boolean } = { script: "", env, cli: {}, maxSocketsPerWorker: 15_000 };
  const { values: a, positionals, tokens } = readArgv(argv);
  /** The flag as it was typed (-e or --env), for the error messages. */
  const typed = (name: string) => {
    for (const t of tokens) if (t.kind === "option" && t.name === name) return t.rawName;
    return `--${name}`;
  };
  const int = (name: string, v: string | undefined, min = 1): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${typed(name)} needs an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  if (a.help) o.help = true;
  const cli = { vus: int("vus", a.vus), duration: a.duration, iterations: int("iterations", a.iterations) };
  if (cli.duration !== undefined) {
    try {
      parseDuration(cli.duration);
    } catch (e) {
      throw new UsageError(`--duration: ${(e as Error).message}`);
    }
  }
  for (const [k, v] of Object.entries(cli)) if (v !== undefined) (o.cli as Record<string, unknown>)[k] = v;
  const explicitEnv = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== "option" || t.name !== "env") continue;
    const kv = t.value ?? "";
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`${t.rawName} needs K=V, got ${JSON.stringify(kv)}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
    explicitEnv.add(kv.slice(0, eq));
  }
  const set = <K extends keyof RunOptions>(k: K, v: RunOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set("out", a.out);
  set("summaryExport", a["summary-export"]);
  set("serverPid", int("server-pid", a["server-pid"]));
  set("workers", int("workers", a.workers));
  set("maxSocketsPerWorker", int("max-sockets-per-worker", a["max-sockets-per-worker"]));
  set("sourceAddresses", int("source-ips", a["source-ips"]));
  if ((o.sourceAddresses ?? 0) > 254) throw new UsageError("--source-ips must be ≤ 254");
  set("progressTrend", a["progress-trend"]);
  if (a["no-summary"]) o.noSummary = true;
  if (positionals.length > 1) throw new UsageError(`one script only (got ${positionals[0]} and ${positionals[1]})`);
  o.script = positionals[0] ?? "";
  if (!o.script && !o.help) throw new UsageError("no script given");
  // The project's scripts take their size from __ENV (portable to `k6 run -e VUS=…`).
  if (o.cli.vus !== undefined && !explicitEnv.has("VUS")) env.VUS = String(o.cli.vus);
  if (o.cli.duration !== undefined && !explicitEnv.has("DURATION")) env.DURATION = o.cli.duration;
  if (o.cli.iterations !== undefined && !explicitEnv.has("ITERATIONS")) env.ITERATIONS = String(o.cli.iterations);
  env.TICKFLOW_RUNNER = "1";
  return o;
}
