/**
 * Wires the archiver from its settings: DuckDB, target (local or S3), staging,
 * durable consumers and one pull loop per dataset. Used by the actor wrapper (mod.ts)
 * and by the standalone runner (run.ts).
 */
import { join, resolve } from "node:path";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "@logtape/logtape";
import type { Metrics } from "../../lib/platform/metrics.ts";
import type { Clock } from "../runtime/mod.ts";
import { Archiver } from "./archiver.ts";
import { type ArchiverSettings, memoryPlan, parseLakeUrl, stagingDirFor } from "./config.ts";
import { ensureConsumer, pullLoop } from "./consumer.ts";
import { DATASET } from "../../lib/lake/datasets.ts";
import { type Decoder, InlineDecoder, WorkerDecoder } from "./decoder.ts";
import { DuckWriter } from "../../lib/lake/duck.ts";
import { archiverMetrics } from "./metrics.ts";
import { type PausePoint, PauseKnob } from "./pause.ts";
import { s3Client, S3Lake } from "../../lib/lake/s3.ts";
import { LocalTarget, S3Target, type Target } from "../../lib/lake/target.ts";
import { LagProbe } from "./lag.ts";
import { Freshness } from "../freshness.ts";
import { STREAM } from "../../lib/platform/streams.ts";

export interface ServiceDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  metrics: Metrics;
  clock: Clock;
  log: Logger;
  /** Validated settings (see {@link archiverSettings}). */
  config: ArchiverSettings;
  /** Push pending acks to the server (e.g. `() => nc.flush()`), called after the final acks. */
  flush?: () => Promise<unknown>;
  /**
   * Publish on the connection (e.g. `(s, d) => nc.publish(s, d)`): acks then go straight to
   * the reply subject, so a held message does not keep the client's read buffer alive.
   */
  publish?: (subject: string, data: Uint8Array) => void;
  /** Told when a test pause point is reached. */
  onPause?: (p: PausePoint) => void;
  /** A failure the service cannot continue after; the caller restarts it. */
  onFatal(err: unknown): void;
  /** STALE_AFTER (default 10 s); lag is stale beyond max(this, 3 × ARCHIVE_FLUSH_INTERVAL). */
  staleAfterMs?: number;
}

/** Build the target of a settings object (also used by `ops lake`). */
export function targetFor(cfg: ArchiverSettings, pause?: PauseKnob): Target {
  const lake = parseLakeUrl(cfg.ARCHIVE_URL);
  const mid = pause ? () => pause.at("upload") : undefined;
  if (lake.kind === "local") return new LocalTarget(lake.root, mid);
  return new S3Target(
    new S3Lake(s3Client(cfg), lake.bucket, lake.prefix, {
      multipartBytes: cfg.ARCHIVE_MULTIPART_BYTES,
      partBytes: cfg.ARCHIVE_PART_BYTES,
      ...(mid ? { midUpload: mid } : {}),
    }),
  );
}

export class ArchiverService {
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  #stopped = false;
  #lag?: LagProbe;
  #fresh?: Freshness;

  private constructor(
    readonly archiver: Archiver,
    private readonly writer: DuckWriter,
    private readonly decoder: Decoder,
    private readonly cfg: ArchiverSettings,
    private readonly deps: ServiceDeps,
  ) {}

  /** Recover staging, create consumers and start pulling. */
  static async start(deps: ServiceDeps, signal?: AbortSignal): Promise<ArchiverService> {
    const cfg = deps.config;
    const lake = parseLakeUrl(cfg.ARCHIVE_URL);
    const stagingDir = stagingDirFor(lake, cfg.ARCHIVE_STAGING_DIR);
    const pause = new PauseKnob(cfg.ARCHIVE_TEST_PAUSE_AT, cfg.ARCHIVE_TEST_PAUSE_AFTER, deps.onPause);
    const target = targetFor(cfg, pause);
    const plan = memoryPlan(cfg);
    const writer = await DuckWriter.open({
      threads: cfg.ARCHIVE_DUCKDB_THREADS,
      memoryLimit: `${Math.floor(plan.duckdbBytes / 2 ** 20)}MiB`,
      tempDir: join(stagingDir, "_duckdb"),
    });
    const decoder = cfg.ARCHIVE_DECODE_WORKERS > 0 ? new WorkerDecoder(cfg.ARCHIVE_DECODE_WORKERS) : new InlineDecoder();
    let svc: ArchiverService | undefined;
    try {
      const archiver = await Archiver.create({
        decoder,
        writer,
        target,
        stagingDir,
        cacheDir: resolve(cfg.ARCHIVE_CACHE_DIR),
        flushIntervalMs: cfg.ARCHIVE_FLUSH_INTERVAL,
        flushRows: cfg.ARCHIVE_FLUSH_ROWS,
        maxUnacked: Math.max(1, Math.floor(cfg.ARCHIVE_MAX_ACK_PENDING * 0.75)),
        bufferBytes: plan.bufferBytes,
        ackWaitMs: cfg.ARCHIVE_ACK_WAIT,
        stagingMaxBytes: cfg.ARCHIVE_STAGING_MAX_BYTES,
        uploadConcurrency: cfg.ARCHIVE_UPLOAD_CONCURRENCY,
        uploadMaxBackoffMs: cfg.ARCHIVE_UPLOAD_MAX_BACKOFF,
        clock: deps.clock,
        log: deps.log,
        metrics: archiverMetrics(deps.metrics),
        pause,
        onFatal: (e) => deps.onFatal(e),
      });
      svc = new ArchiverService(archiver, writer, decoder, cfg, deps);
      const durables: string[] = [];
      if (signal) signal.addEventListener("abort", () => svc!.#abort.abort(), { once: true });
      for (const name of cfg.ARCHIVE_DATASETS) {
        const ds = DATASET[name];
        const durable = await ensureConsumer(deps.jsm, ds, {
          durablePrefix: cfg.ARCHIVE_DURABLE,
          ackWaitMs: cfg.ARCHIVE_ACK_WAIT,
          maxAckPending: cfg.ARCHIVE_MAX_ACK_PENDING,
          batch: cfg.ARCHIVE_FETCH_BATCH,
        });
        const loop = pullLoop(deps.js, ds, durable, archiver, {
          batch: cfg.ARCHIVE_FETCH_BATCH,
          maxBytes: plan.fetchBytes,
          ...(deps.publish ? { publish: deps.publish } : {}),
          log: deps.log,
          signal: svc.#abort.signal,
        });
        svc.#loops.push(loop.catch((e) => deps.onFatal(e)));
        durables.push(durable);
      }
      svc.#watchLag(durables);
      deps.log.info("archiving {datasets} from JetStream to {target} (staging {staging})", {
        datasets: cfg.ARCHIVE_DATASETS.join(", "),
        target: target.description,
        staging: stagingDir,
      });
      return svc;
    } catch (e) {
      if (svc) await svc.stop();
      else {
        writer.close();
        await decoder.close();
      }
      throw e;
    }
  }

  /** Stop pulling, flush, upload (bounded by ARCHIVE_SHUTDOWN_DRAIN), ack, close DuckDB. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#lag?.stop();
    this.#abort.abort();
    await Promise.all(this.#loops);
    await this.archiver.stop(this.cfg.ARCHIVE_SHUTDOWN_DRAIN);
    await this.deps.flush?.().catch(() => undefined);
    this.writer.close();
    await this.decoder.close();
  }

  status(): Record<string, unknown> {
    return { ...this.archiver.status(), freshness: this.#freshness() };
  }

  #watchLag(durables: string[]): void {
    const d = this.deps;
    const probe = (this.#lag = new LagProbe(d.jsm, STREAM.md, durables, d.clock));
    this.#fresh = new Freshness("archiver", d.clock, Math.max(d.staleAfterMs ?? 10_000, 3 * this.cfg.ARCHIVE_FLUSH_INTERVAL));
    d.metrics.gauge("tickflow_archiver_lag_messages", "Messages not yet in the lake (pending + unacked), all archiver consumers")
      .set(() => probe.last?.messages ?? 0);
    d.metrics.gauge("tickflow_archiver_lag_seconds", "Age of the oldest message not yet in the lake, s")
      .set(() => probe.last?.oldestSec ?? 0);
    probe.start();
  }

  /**
   * Stale when the oldest message not yet in the lake is older than the limit, or when
   * the lag could not be measured for three probe periods.
   */
  #freshness() {
    const f = this.#fresh;
    const lag = this.#lag?.last;
    if (!f) return undefined;
    const reasons: string[] = [];
    if (lag && lag.oldestSec * 1000 > f.staleAfterMs) {
      reasons.push(`oldest unarchived message ${Math.round(lag.oldestSec)} s old (limit ${Math.round(f.staleAfterMs / 1000)} s)`);
    }
    if (!lag || f.clock.now() - lag.at > 15_000) reasons.push("consumer lag unknown (JetStream not answering)");
    if (lag) f.detail("lag", { messages: lag.messages, oldestSec: lag.oldestSec, consumers: lag.consumers });
    const r = f.report(reasons);
    r.ages.unacked = Math.round((lag?.oldestSec ?? 0) * 1000);
    return r;
  }
}
