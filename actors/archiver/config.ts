/**
 * Archiver settings (environment variables, validated by loadConfig) and the lake
 * location parsed from ARCHIVE_URL.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";
import { DATASETS } from "../../lib/lake/partition.ts";
import { PAUSE_POINTS } from "./pause.ts";

const UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** A size: plain bytes, or a number with KB/MB/GB/KiB/MiB/GiB. */
const bytes = () =>
  z.union([z.number(), z.string()]).transform((x, ctx) => {
    if (typeof x === "number") return x;
    const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(x.trim());
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      ctx.addIssue({ code: "custom", message: "a size like 1048576, 512MB or 2GiB" });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * unit);
  }).pipe(z.number().int().min(1));

export const archiverSettings = {
  ARCHIVE_URL: z.string().default("./data/lake").describe("lake location: a path, file:///path or s3://bucket/prefix"),
  ARCHIVE_STAGING_DIR: z.string().optional().describe("finished files wait here for the target (default <lake>/_staging or ./data/staging)"),
  ARCHIVE_STAGING_MAX_BYTES: bytes().default(2 * 2 ** 30),
  ARCHIVE_CACHE_DIR: z.string().default("./data/lake-cache"),
  ARCHIVE_FLUSH_INTERVAL: v.duration().pipe(z.number().int().min(10)).default(10_000),
  ARCHIVE_FLUSH_ROWS: v.int(1).default(500_000),
  ARCHIVE_ACK_WAIT: v.duration().pipe(z.number().int().min(1000)).default(60_000),
  ARCHIVE_MAX_ACK_PENDING: v.int(1).default(50_000),
  ARCHIVE_FETCH_BATCH: v.int(1, 10_000).default(1000),
  ARCHIVE_DURABLE: z.string().regex(/^[A-Za-z0-9_\-]+$/).default("archiver"),
  ARCHIVE_DATASETS: v.list().pipe(z.array(z.enum(DATASETS)).min(1)).default([...DATASETS]),
  ARCHIVE_MULTIPART_BYTES: bytes().default(16 * 2 ** 20),
  ARCHIVE_PART_BYTES: bytes().default(8 * 2 ** 20),
  ARCHIVE_UPLOAD_CONCURRENCY: v.int(1, 16).default(2),
  ARCHIVE_UPLOAD_MAX_BACKOFF: v.duration().default(15_000),
  ARCHIVE_SHUTDOWN_DRAIN: v.duration().default(5_000),
  ARCHIVE_DUCKDB_THREADS: v.int(1, 64).default(2),
  ARCHIVE_DECODE_WORKERS: v.int(0, 16).default(1).describe("worker threads parsing JSON; 0 parses on the event loop"),
  ARCHIVE_MEMORY: bytes().pipe(z.number().min(64 * 2 ** 20, "at least 64MiB")).default(512 * 2 ** 20)
    .describe("the archiver's memory: DuckDB's memory_limit, buffered rows and in-flight fetches together"),
  ARCHIVE_FILE_BYTES: bytes().default(128 * 2 ** 20).describe("compaction's target file size"),
  ARCHIVE_RETENTION_DAYS: v.int(0).default(0).describe("days of lake to keep (0 = forever); `lake retention` deletes older days"),
  ARCHIVE_TEST_PAUSE_AT: z.enum(PAUSE_POINTS).optional(),
  ARCHIVE_TEST_PAUSE_AFTER: v.int(1).default(1),
  AWS_ENDPOINT_URL: z.string().optional(),
  AWS_ENDPOINT_URL_S3: z.string().optional(),
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  AWS_S3_FORCE_PATH_STYLE: v.bool().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
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
