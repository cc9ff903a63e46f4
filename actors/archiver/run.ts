/**
 * The archiver on its own, outside an actor host: `npx tsx actors/archiver/run.ts`.
 * Reads NATS_*, MD_* and ARCHIVE_* / AWS_* settings from the environment, ensures the
 * streams, archives until SIGTERM/SIGINT, then flushes, uploads, acks and exits 0.
 *
 * Tests run it as a child process and kill -9 it at ARCHIVE_TEST_PAUSE_AT; it prints
 * `READY` once pulling and `PAUSED <point>` when it stops at a pause point.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { getLogger } from "@logtape/logtape";
import { busSettings, isConfigError, loadConfig, logSettings, natsSettings, readEnv } from "../../lib/platform/config.ts";
import { configureLogging } from "../../lib/platform/log.ts";
import { connectNats } from "../../lib/platform/nats.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { archiverSettings } from "./config.ts";
import { ArchiverService } from "./service.ts";

async function main(): Promise<number> {
  const env = readEnv();
  let cfg;
  try {
    const logCfg = loadConfig(logSettings, env);
    await configureLogging(logCfg.LOG_LEVEL, logCfg.LOG_FORMAT);
    cfg = loadConfig({ ...natsSettings, ...busSettings, ...archiverSettings }, env);
  } catch (e) {
    if (isConfigError(e)) {
      console.error(`archiver: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const log = getLogger(["tickflow", "archiver"]);
  const nc = await connectNats(cfg, "archiver");
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, {
    mdMaxAgeMs: cfg.MD_MAX_AGE,
    mdMaxBytes: cfg.MD_MAX_BYTES,
    roomLogMaxAgeMs: cfg.ROOMLOG_MAX_AGE,
    replicas: cfg.STREAM_REPLICAS,
  });
  const metrics = new Metrics();
  let fatal: unknown;
  let wake: () => void = () => {};
  const done = new Promise<void>((resolve) => (wake = resolve));
  const svc = await ArchiverService.start({
    js: jetstream(nc),
    jsm,
    metrics,
    clock: systemClock,
    log,
    config: cfg,
    flush: () => nc.flush(),
    publish: (subject, data) => nc.publish(subject, data),
    onPause: (p) => console.log(`PAUSED ${p}`),
    onFatal: (e) => {
      fatal ??= e;
      wake();
    },
  });
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => wake());
  console.log("READY");
  await done;
  await svc.stop();
  await nc.drain();
  if (fatal) {
    log.fatal("archiver stopped after a failure: {error}", { error: fatal });
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error("archiver failed:", e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
