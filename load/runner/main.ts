/**
 * `npm run load -- load/fanout.js [--vus … --duration … --env K=V --out report.html
 * --server-pid PID]`: runs a k6 script on Node with the project's k6-compatible runner
 * (k6 itself cannot be installed here). See load/README.md.
 */
import { parseArgs, USAGE, UsageError } from "./args.ts";
import { run } from "./coordinator.ts";

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  return run(opts);
}

main().then(
  (code) => {
    // Flush stdout before exiting (it may be a pipe).
    process.stdout.write("", () => process.exit(code));
  },
  (e: Error) => {
    process.stderr.write(`ERRO ${e.stack ?? e.message}\n`);
    process.exit(103);
  },
);
