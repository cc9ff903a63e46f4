/**
 * The Tickflow operations CLI (`npm run ops -- <command>` or `npx tickflow <command>`).
 * Every command talks to the system through NATS with the same settings as the
 * actors (NATS_URL, NATS_USER/NATS_PASS, NATS_TOKEN, NATS_CREDS, NATS_TLS_*).
 */
import { parseArgs } from "node:util";
import { isConfigError, loadConfig, natsSettings } from "../lib/platform/config.ts";
import { connectNats } from "../lib/platform/nats.ts";
import { collectStatus, formatStatus } from "./cli/status.ts";
import { commandFor, commands, usage } from "./cli/commands.ts";

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 1;
  }
  const cmd = commandFor(name);
  if (!cmd) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.help);
    return 0;
  }
  return await cmd.run(rest);
}

export { collectStatus, commands, connectNats, formatStatus, isConfigError, loadConfig, natsSettings, parseArgs };

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("ops/main.ts")) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(isConfigError(e) ? e.message : `error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(isConfigError(e) ? 2 : 1);
    },
  );
}
