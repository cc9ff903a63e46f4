/**
 * Archiver settings (environment variables, validated by loadConfig) and the lake
 * location parsed from ARCHIVE_URL. Each variable's zod schema with its default and
 * description is the one source of `ArchiverSettings` and of the table in
 * actors/archiver/README.md (`npm run docs:config`).
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";
import { DATASETS } from "../../lib/lake/partition.ts";
import { PAUSE_POINTS } from "./pause.ts";

/** A size: bytes, or a number with KB/MB/GB/KiB/MiB/GiB (lib/platform/config.ts `v.bytes`), at least 1. */
const bytes = () => v.bytes().pipe(z.number().int().min(1));

export const archiverSettings = {
  ARCHIVE_URL: z.string().default("./data/lake").describe("lake location: a path, file:///path or s3://bucket/prefix"),
  ARCHIVE_STAGING_DIR: z.string().optional().describe("finished files wait here for the target (default <lake>/_staging or ./data/staging)"),
  ARCHIVE_STAGING_MAX_BYTES: bytes().default(2 * 2 ** 30).describe("staging budget; pulling pauses above it"),
  ARCHIVE_CACHE_DIR: z.string().default("./data/lake-cache").describe("S3 downloads (sequence checks, ops lake query)"),
  ARCHIVE_FLUSH_INTERVAL: v.duration().pipe(z.number().int().min(10)).default(10_000).describe("a partition buffer older than this is flushed"),
  ARCHIVE_FLUSH_ROWS: v.int(1).default(500_000).describe("a partition buffer with this many rows is flushed"),
  ARCHIVE_ACK_WAIT: v.duration().pipe(z.number().int().min(1000)).default(60_000).describe("consumer ack_wait; held messages get working() every third of it"),
  ARCHIVE_MAX_ACK_PENDING: v.int(1).default(50_000).describe("consumer max_ack_pending (messages); buffers flush at 75 %"),
  ARCHIVE_FETCH_BATCH: v.int(1, 10_000).default(1000).describe("messages per fetch (fewer when messages are large)"),
  ARCHIVE_DURABLE: z.string().regex(/^[A-Za-z0-9_\-]+$/).default("archiver").describe("consumer name prefix (archiver-ticks, …)"),
  ARCHIVE_DATASETS: v.list().pipe(z.array(z.enum(DATASETS)).min(1)).default([...DATASETS]).describe("which datasets this archiver writes"),
  ARCHIVE_MULTIPART_BYTES: bytes().default(16 * 2 ** 20).describe("S3: files from this size on go as a multipart upload"),
  ARCHIVE_PART_BYTES: bytes().default(8 * 2 ** 20).describe("S3 multipart part size (S3 requires at least 5 MiB but for the last part)"),
  ARCHIVE_UPLOAD_CONCURRENCY: v.int(1, 16).default(2).describe("parallel uploads"),
  ARCHIVE_UPLOAD_MAX_BACKOFF: v.duration().default(15_000).describe("longest wait between upload attempts"),
  ARCHIVE_SHUTDOWN_DRAIN: v.duration().default(5_000).describe("how long a stop waits for uploads before leaving files staged"),
  ARCHIVE_DUCKDB_THREADS: v.int(1, 64).default(2).describe("DuckDB threads"),
  ARCHIVE_DECODE_WORKERS: v.int(0, 16).default(1).describe("worker threads parsing JSON; 0 parses on the event loop"),
  ARCHIVE_MEMORY: bytes().pipe(z.number().min(64 * 2 ** 20, "at least 64MiB")).default(512 * 2 ** 20)
    .describe("the archiver's memory: DuckDB's memory_limit, buffered rows and in-flight fetches together"),
  ARCHIVE_FILE_BYTES: bytes().default(128 * 2 ** 20).describe("compaction's target file size"),
  ARCHIVE_RETENTION_DAYS: v.int(0).default(0).describe("days of lake to keep (0 = forever); `lake retention` deletes older days"),
  ARCHIVE_TEST_PAUSE_AT: z.enum(PAUSE_POINTS).optional().describe("tests only: freeze at append, copy, upload or ack (see ARCHIVE_TEST_PAUSE_AFTER)"),
  ARCHIVE_TEST_PAUSE_AFTER: v.int(1).default(1).describe("tests only: freeze at the n-th time the pause point is reached"),
  AWS_ENDPOINT_URL: z.string().optional().describe("S3 endpoint (an S3-compatible server)"),
  AWS_ENDPOINT_URL_S3: z.string().optional().describe("S3 endpoint; wins over AWS_ENDPOINT_URL"),
  AWS_REGION: z.string().optional().describe("S3 region (default AWS_DEFAULT_REGION, else us-east-1)"),
  AWS_DEFAULT_REGION: z.string().optional().describe("S3 region when AWS_REGION is unset"),
  AWS_S3_FORCE_PATH_STYLE: v.bool().optional().describe("path-style bucket addressing (true for most S3-compatible servers)"),
  AWS_ACCESS_KEY_ID: z.string().optional().describe("S3 credentials (else the SDK's default chain)"),
  AWS_SECRET_ACCESS_KEY: z.string().optional().describe("S3 credentials"),
  AWS_SESSION_TOKEN: z.string().optional().describe("S3 temporary credentials"),
};

export type ArchiverSettings = z.infer<z.ZodObject<typeof archiverSettings>>;

/**
 * How ARCHIVE_MEMORY is split: DuckDB's memory_limit (it holds the buffered rows and
 * sorts them for the COPY, spilling to staging above it), the share of it buffered rows
 * may take before pulling waits, and the bytes in flight per fetch. The rest is the
 * JavaScript side (decoded batches, held messages).
 */
export function memoryPlan(cfg: Pick<ArchiverSettings, "ARCHIVE_MEMORY" | "ARCHIVE_DATASETS">): {
  duckdbBytes: number;
  bufferBytes: number;
  fetchBytes: number;
} {
  const m = cfg.ARCHIVE_MEMORY;
  // Two fetches may be in flight per dataset (one decoding, one arriving).
  return { duckdbBytes: Math.floor(m * 0.6), bufferBytes: Math.floor(m * 0.4), fetchBytes: Math.max(256 * 1024, Math.floor((m * 0.15) / (2 * cfg.ARCHIVE_DATASETS.length))) };
}

export type LakeLocation =
  | { kind: "local"; root: string }
  | { kind: "s3"; bucket: string; prefix: string };

export class LakeUrlError extends Error {
  override name = "LakeUrlError";
}
export const isLakeUrlError = (e: unknown): e is LakeUrlError => e instanceof Error && e.name === "LakeUrlError";

/** `./dir`, `/abs/dir`, `file:///abs/dir` or `s3://bucket/prefix`; throws LakeUrlError otherwise. */
export function parseLakeUrl(url: string): LakeLocation {
  if (url.startsWith("s3://")) {
    const rest = url.slice(5);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
    if (!/^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new LakeUrlError(`ARCHIVE_URL ${JSON.stringify(url)}: ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    }
    return { kind: "s3", bucket, prefix };
  }
  if (url.startsWith("file://")) return { kind: "local", root: fileURLToPath(url) };
  if (/^[a-z][a-z0-9+.\-]*:\/\//i.test(url)) {
    throw new LakeUrlError(`ARCHIVE_URL ${JSON.stringify(url)}: expected a path, file:// or s3:// URL`);
  }
  return { kind: "local", root: isAbsolute(url) ? url : resolve(url) };
}

/** Default staging directory: inside a local lake (same file system, so commits are renames), else ./data/staging. */
export function stagingDirFor(lake: LakeLocation, configured?: string): string {
  if (configured) return resolve(configured);
  return lake.kind === "local" ? resolve(lake.root, "_staging") : resolve("./data/staging");
}
