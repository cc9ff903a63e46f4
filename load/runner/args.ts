/** Command-line arguments of `npm run load -- <script> [flags]`. */
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

export function parseArgs(argv: string[], processEnv: NodeJS.ProcessEnv = process.env): RunOptions & { help?: boolean } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v;
  const o: RunOptions & { help?: boolean } = { script: "", env, cli: {}, maxSocketsPerWorker: 15_000 };
  const explicitEnv = new Set<string>();
  const int = (flag: string, v: string | undefined, min = 1): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case "-h":
      case "--help":
        o.help = true;
        break;
      case "--vus":
        o.cli.vus = int(flag, val());
        break;
      case "--duration": {
        const d = val();
        try {
          parseDuration(d ?? "");
        } catch (e) {
          throw new UsageError(`--duration: ${(e as Error).message}`);
        }
        o.cli.duration = d;
        break;
      }
      case "--iterations":
        o.cli.iterations = int(flag, val());
        break;
      case "-e":
      case "--env": {
        const kv = val() ?? "";
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UsageError(`${flag} needs K=V, got ${JSON.stringify(kv)}`);
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
        explicitEnv.add(kv.slice(0, eq));
        break;
      }
      case "--out":
        o.out = val();
        break;
      case "--summary-export":
        o.summaryExport = val();
        break;
      case "--server-pid":
        o.serverPid = int(flag, val());
        break;
      case "--workers":
        o.workers = int(flag, val());
        break;
      case "--max-sockets-per-worker":
        o.maxSocketsPerWorker = int(flag, val());
        break;
      case "--source-ips":
        o.sourceAddresses = int(flag, val());
        if (o.sourceAddresses > 254) throw new UsageError("--source-ips must be ≤ 254");
        break;
      case "--progress-trend":
        o.progressTrend = val();
        break;
      case "--no-summary":
        o.noSummary = true;
        break;
      default:
        if (a.startsWith("-")) throw new UsageError(`unknown flag ${a}`);
        if (o.script) throw new UsageError(`one script only (got ${o.script} and ${a})`);
        o.script = a;
    }
  }
  if (!o.script && !o.help) throw new UsageError("no script given");
  // The project's scripts take their size from __ENV (portable to `k6 run -e VUS=…`).
  if (o.cli.vus !== undefined && !explicitEnv.has("VUS")) env.VUS = String(o.cli.vus);
  if (o.cli.duration !== undefined && !explicitEnv.has("DURATION")) env.DURATION = o.cli.duration;
  if (o.cli.iterations !== undefined && !explicitEnv.has("ITERATIONS")) env.ITERATIONS = String(o.cli.iterations);
  env.TICKFLOW_RUNNER = "1";
  return o;
}
