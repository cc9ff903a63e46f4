/**
 * Where the lake lives: a local directory or an S3 bucket/prefix. Both make a finished
 * local Parquet file durable under a key atomically (rename; S3 PUT), list keys, fetch
 * an object to a local file and delete objects.
 */
import { mkdir, readdir, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { listFiles, moveDurably, removeQuietly } from "./fsutil.ts";
import type { S3Lake } from "./s3.ts";
import type { LakeObject } from "./object.ts";
export type { LakeObject } from "./object.ts";

export interface Target {
  /** For logs: the directory or s3://bucket/prefix. */
  readonly description: string;
  readonly kind: "local" | "s3";
  /**
   * Make the local file durable at `key`, replacing any object of that name. The local
   * file is consumed (moved or deleted) on success and left on failure.
   */
  put(localPath: string, key: string, signal?: AbortSignal): Promise<void>;
  /** Objects whose key starts with `prefix` (use a trailing `/` for a directory). */
  list(prefix: string): Promise<LakeObject[]>;
  /** Names of the sub-directories directly under `dir` (no trailing `/`), e.g. `exchange=sim`. */
  dirs(dir: string): Promise<string[]>;
  /** A local path holding the object: the file itself for a local lake, a download into `cacheDir` for S3. */
  fetch(key: string, cacheDir: string): Promise<{ path: string; downloaded: boolean }>;
  delete(keys: string[]): Promise<void>;
}

export class LocalTarget implements Target {
  readonly kind = "local";
  constructor(readonly root: string, private readonly beforeCommit?: () => Promise<void>) {}
  get description(): string {
    return this.root;
  }
  async put(localPath: string, key: string): Promise<void> {
    await this.beforeCommit?.();
    await moveDurably(localPath, join(this.root, key));
  }
  async list(prefix: string): Promise<LakeObject[]> {
    const slash = prefix.lastIndexOf("/");
    const dir = slash >= 0 ? prefix.slice(0, slash) : "";
    const files = await listFiles(join(this.root, dir));
    return files
      .map((f) => ({ key: dir ? `${dir}/${f.path}` : f.path, size: f.size }))
      .filter((o) => o.key.startsWith(prefix));
  }
  async dirs(dir: string): Promise<string[]> {
    try {
      return (await readdir(join(this.root, dir), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }
  async fetch(key: string): Promise<{ path: string; downloaded: boolean }> {
    return { path: join(this.root, key), downloaded: false };
  }
  async delete(keys: string[]): Promise<void> {
    for (const k of keys) await removeQuietly(join(this.root, k));
  }
}

export class S3Target implements Target {
  readonly kind = "s3";
  constructor(private readonly s3: S3Lake) {}
  get description(): string {
    return this.s3.description;
  }
  async put(localPath: string, key: string, signal?: AbortSignal): Promise<void> {
    await this.s3.upload(localPath, key, signal);
    await removeQuietly(localPath);
  }
  list(prefix: string): Promise<LakeObject[]> {
    return this.s3.list(prefix);
  }
  dirs(dir: string): Promise<string[]> {
    return this.s3.dirs(dir);
  }
  async fetch(key: string, cacheDir: string): Promise<{ path: string; downloaded: boolean }> {
    const path = join(cacheDir, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${Math.random().toString(36).slice(2, 10)}`;
    try {
      await this.s3.download(key, tmp);
      await rename(tmp, path);
    } catch (e) {
      await removeQuietly(tmp);
      throw e;
    }
    return { path, downloaded: true };
  }
  delete(keys: string[]): Promise<void> {
    return this.s3.delete(keys);
  }
}
