/**
 * archiver actor: ticks, order-book levels and book deltas from JetStream to Parquet
 * (DuckDB, zstd, hive layout) in a local directory or S3, each message acked only once
 * its rows are durable there, and each in the lake exactly once across crashes.
 *
 * `archiverChild(host)` is the factory for actors/registry.ts. See README.md for the
 * layout, settings and the exactly-once rule.
 */
import { type Actor, type ChildSpec, serviceActor } from "../runtime/mod.ts";
import type { HostContext } from "../host-context.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { type ArchiverSettings, archiverSettings } from "./config.ts";
import { ArchiverService } from "./service.ts";

export { Archiver } from "./archiver.ts";
export { ArchiverService, targetFor } from "./service.ts";
export { archiverSettings, type ArchiverSettings, parseLakeUrl } from "./config.ts";
export { DATASET, type Dataset } from "../../lib/lake/datasets.ts";

/** The runtime wrapper: a fresh service per (re)start; background failures crash the actor. */
export function archiverActor(host: HostContext, config: ArchiverSettings): Actor<never> {
  // ArchiverService.start() builds and starts in one step; its stop() flushes, uploads
  // and acks what is buffered, bounded by ARCHIVE_SHUTDOWN_DRAIN.
  return serviceActor({
    create: (ctx, fail) =>
      ArchiverService.start(
        {
          js: host.js,
          jsm: host.jsm,
          metrics: host.metrics,
          clock: ctx.clock,
          log: ctx.log,
          config,
          flush: () => host.nc.flush(),
          publish: (subject, data) => host.nc.publish(subject, data),
          onFatal: fail,
          ...(host.staleAfterMs ? { staleAfterMs: host.staleAfterMs } : {}),
        },
        ctx.signal,
      ),
    status: (svc) => svc.status(),
  });
}

/** Throws ConfigError (naming the variable) when an archiver setting is invalid. */
export function archiverChild(host: HostContext): ChildSpec {
  const config = loadConfig(archiverSettings, host.env);
  return {
    id: "archiver",
    restart: "permanent",
    shutdownMs: config.ARCHIVE_SHUTDOWN_DRAIN + 1500,
    actor: () => archiverActor(host, config),
  };
}
