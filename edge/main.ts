/**
 * Edge entry point (`npm run edge`): serves dashboards over WebSocket (`/ws`), health,
 * metrics and the built UI on EDGE_PORT (default 8080).
 *
 * With EDGE_WORKERS > 1 (default: one per core) this process becomes a primary that
 * forks that many workers on the same port (edge/cluster.ts); otherwise it runs one
 * edge itself. SIGTERM: stop accepting, going-away close (1001) to every client, drain,
 * exit 0 within 10 s. Settings: edge/config.ts (EDGE_*), lib/platform/config.ts (NATS_*).
 */
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { getLogger } from "@logtape/logtape";
import { isConfigError } from "../lib/platform/config.ts";
import { configureLogging } from "../lib/platform/log.ts";
import { clusterWorkerChannel, SharedAddressLimiter } from "./address-share.ts";
import { runPrimary } from "./cluster.ts";
import { loadEdgeSettings } from "./config.ts";
import { startEdge } from "./server.ts";

const EXIT_DEADLINE_MS = 9_500;

async function main(): Promise<void> {
  let settings;
  try {
    settings = loadEdgeSettings();
  } catch (e) {
    if (isConfigError(e)) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  await configureLogging(settings.LOG_LEVEL, settings.LOG_FORMAT);
  const log = getLogger(["tickflow", "edge"]);
  const workers = settings.EDGE_WORKERS || availableParallelism();
  if (cluster.isPrimary && workers > 1) {
    runPrimary({ workers, id: settings.EDGE_ID ?? `edge-${process.pid}`, maxConnsPerIp: settings.EDGE_MAX_CONNS_PER_IP });
    return;
  }

  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info("{why}: shutting down", { why });
    // Whatever happens, exit 0 before the 10 s budget is spent.
    setTimeout(() => process.exit(0), EXIT_DEADLINE_MS).unref();
    void (handle?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (e) => {
        log.error("shutdown failed: {error}", { error: String(e) });
        process.exit(0);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  if (cluster.isWorker) process.on("disconnect", () => shutdown("primary gone"));

  let handle: Awaited<ReturnType<typeof startEdge>> | undefined;
  try {
    // A worker counts connections per address with the primary, so the cap is per host.
    handle = await startEdge(cluster.isWorker ? { addresses: new SharedAddressLimiter(clusterWorkerChannel()) } : {});
  } catch (e) {
    log.fatal("edge failed to start: {error}", { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    process.exit(1);
  }
}

await main();
