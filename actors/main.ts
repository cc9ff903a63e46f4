/**
 * Actor host entry point (Node: `npm run host`; Deno: `deno task actors`).
 * Validate config → connect NATS → ensure streams → start actors → ready.
 * SIGTERM/SIGINT stop everything in reverse order and exit 0 within SHUTDOWN_TIMEOUT.
 */
import { getLogger } from "@logtape/logtape";
import { isConfigError, loadConfig, logSettings, readEnv } from "../lib/platform/config.ts";
import { configureLogging } from "../lib/platform/log.ts";
import { hostSettings, startHost } from "./host.ts";
import { exitProcess } from "./runtime/mod.ts";

type SignalGlobal = {
  Deno?: { addSignalListener(sig: string, fn: () => void): void };
  process?: { on(sig: string, fn: () => void): void };
};

function onSignals(fn: () => void): void {
  const g = globalThis as unknown as SignalGlobal;
  for (const sig of ["SIGTERM", "SIGINT"]) {
    if (g.Deno) g.Deno.addSignalListener(sig, fn);
    else g.process?.on(sig, fn);
  }
}

async function main(): Promise<void> {
  let env: Record<string, string | undefined>;
  try {
    env = readEnv();
    const logCfg = loadConfig(logSettings, env);
    await configureLogging(logCfg.LOG_LEVEL, logCfg.LOG_FORMAT);
    loadConfig(hostSettings, env); // fail fast, before connecting anywhere
  } catch (e) {
    if (isConfigError(e)) {
      console.error(`tickflow host: ${e.message}`);
      exitProcess(2);
      return;
    }
    throw e;
  }
  const log = getLogger(["tickflow", "host"]);
  const host = await startHost({ env });
  const timeoutMs = loadConfig(hostSettings, env).SHUTDOWN_TIMEOUT;
  let signalled = false;
  onSignals(() => {
    if (signalled) return;
    signalled = true;
    const timer = setTimeout(() => {
      log.error("shutdown took longer than {ms} ms; exiting anyway", { ms: timeoutMs });
      exitProcess(1);
    }, timeoutMs);
    host.stop().then(() => {
      clearTimeout(timer);
      exitProcess(0);
    });
  });
}

main().catch((e) => {
  console.error("tickflow host failed to start:", e instanceof Error ? e.message : e);
  exitProcess(1);
});
