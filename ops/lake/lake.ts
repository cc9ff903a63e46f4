/**
 * Opening the lake for the `ops lake` tools: the target from ARCHIVE_URL (or --lake)
 * and the AWS variables, and for S3 a local mirror of the objects in a cache
 * directory, because DuckDB's httpfs extension cannot be installed here.
 */
import { mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type ArchiverSettings, archiverSettings, parseLakeUrl } from "../../actors/archiver/mod.ts";
import { listFiles, removeQuietly } from "../../lib/lake/fsutil.ts";
import { DATASETS } from "../../lib/lake/partition.ts";
import { targetFor } from "../../actors/archiver/mod.ts";
import type { Target } from "../../lib/lake/target.ts";
import { loadConfig } from "../../lib/platform/config.ts";

export interface Lake {
  readonly url: string;
  readonly target: Target;
  readonly settings: ArchiverSettings;
  /** Local directory to query: the lake itself, or the S3 mirror in the cache. */
  readonly localRoot: string;
}

/** Throws ConfigError / LakeUrlError for bad settings. `url` overrides ARCHIVE_URL. */
export function openLake(env: Record<string, string | undefined>, url?: string): Lake {
  const settings = loadConfig(archiverSettings, url ? { ...env, ARCHIVE_URL: url } : env);
  const loc = parseLakeUrl(settings.ARCHIVE_URL);
  const localRoot = loc.kind === "local"
    ? loc.root
    : resolve(settings.ARCHIVE_CACHE_DIR, "s3", loc.bucket, loc.prefix || "_root");
  return { url: settings.ARCHIVE_URL, target: targetFor(settings), settings, localRoot };
}

/**
 * Mirror the S3 objects under `prefixes` (default: every dataset) into the cache:
 * download what is missing or changed in size, delete what is no longer in S3 (e.g.
 * files replaced by compaction). Returns the number of files downloaded.
 */
export async function syncMirror(lake: Lake, prefixes: string[] = DATASETS.map((d) => `${d}/`)): Promise<number> {
  if (lake.target.kind === "local") return 0;
  await mkdir(lake.localRoot, { recursive: true });
  let downloaded = 0;
  for (const prefix of prefixes) {
    const remote = (await lake.target.list(prefix)).filter((o) => o.key.endsWith(".parquet"));
    const want = new Map(remote.map((o) => [o.key, o.size]));
    const dir = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    for (const f of await listFiles(join(lake.localRoot, dir))) {
      const key = `${dir}${f.path}`;
      if (key.startsWith(prefix) && want.get(key) !== f.size) await removeQuietly(join(lake.localRoot, key));
    }
    for (const o of remote) {
      const local = join(lake.localRoot, o.key);
      const have = await stat(local).then((s) => s.size, () => -1);
      if (have === o.size) continue;
      await lake.target.fetch(o.key, lake.localRoot);
      downloaded++;
    }
  }
  return downloaded;
}

/** Download these S3 objects into the mirror unless already there at the same size; returns how many were downloaded. */
export async function fetchKeys(lake: Lake, keys: string[]): Promise<number> {
  if (lake.target.kind === "local") return 0;
  const sizes = new Map((await Promise.all([...new Set(keys.map((k) => k.slice(0, k.lastIndexOf("/") + 1)))].map((p) => lake.target.list(p))))
    .flat().map((o) => [o.key, o.size]));
  let n = 0;
  for (const k of keys) {
    const have = await stat(join(lake.localRoot, k)).then((s) => s.size, () => -1);
    if (have === sizes.get(k)) continue;
    await lake.target.fetch(k, lake.localRoot);
    n++;
  }
  return n;
}
