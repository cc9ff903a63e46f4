/**
 * S3 access for the lake with `@aws-sdk/client-s3`: PutObject below a size threshold,
 * a small multipart uploader above it (CreateMultipartUpload / UploadPart /
 * CompleteMultipartUpload, aborted on failure), paged listing, download and delete.
 *
 * Configuration comes from the standard AWS variables: endpoint AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL, region AWS_REGION (or AWS_DEFAULT_REGION), path-style addressing
 * AWS_S3_FORCE_PATH_STYLE, credentials AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (else the SDK's default chain: profiles, instance roles...).
 * Checksums are sent only when an operation requires them, which every S3-compatible
 * server understands. Retries are the caller's (cockatiel), so the SDK tries once.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import type { LakeObject } from "./object.ts";

export class UploadError extends Error {
  override name = "UploadError";
}
export const isUploadError = (e: unknown): e is UploadError => e instanceof Error && e.name === "UploadError";

export interface S3Env {
  AWS_ENDPOINT_URL?: string | undefined;
  AWS_ENDPOINT_URL_S3?: string | undefined;
  AWS_REGION?: string | undefined;
  AWS_DEFAULT_REGION?: string | undefined;
  AWS_S3_FORCE_PATH_STYLE?: boolean | undefined;
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
  AWS_SESSION_TOKEN?: string | undefined;
}

export function s3Client(env: S3Env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return new S3Client({
    ...(endpoint ? { endpoint } : {}),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE ?? false,
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        },
      }
      : {}),
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}

export interface S3LakeOptions {
  /** Files of at least this size go multipart. Default 16 MiB. */
  multipartBytes?: number;
  /** Part size of multipart uploads (S3 wants ≥ 5 MiB except the last). Default 8 MiB. */
  partBytes?: number;
  /** Test hook: called once an upload is under way (after the first part of a multipart upload). */
  midUpload?: () => Promise<void>;
}

export class S3Lake {
  readonly multipartBytes: number;
  readonly partBytes: number;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    /** Key prefix without leading or trailing slash; "" for the bucket root. */
    readonly prefix: string,
    private readonly opts: S3LakeOptions = {},
  ) {
    this.multipartBytes = opts.multipartBytes ?? 16 * 2 ** 20;
    this.partBytes = opts.partBytes ?? 8 * 2 ** 20;
  }

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private full(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Upload a local file to `key`; the object appears whole or not at all. Verifies the stored size. */
  async upload(path: string, key: string, signal?: AbortSignal): Promise<void> {
    const size = (await stat(path)).size;
    const Key = this.full(key);
    if (size < this.multipartBytes) {
      await this.opts.midUpload?.();
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: await readFile(path), ContentLength: size }),
        { abortSignal: signal },
      );
    } else {
      await this.multipart(path, Key, size, signal);
    }
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal });
    if (head.ContentLength !== size) {
      throw new UploadError(`s3://${this.bucket}/${Key}: stored ${head.ContentLength} bytes, expected ${size}`);
    }
  }

  private async multipart(path: string, Key: string, size: number, signal?: AbortSignal): Promise<void> {
    const Bucket = this.bucket;
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }), { abortSignal: signal });
    const UploadId = created.UploadId;
    if (!UploadId) throw new UploadError(`s3://${Bucket}/${Key}: CreateMultipartUpload returned no UploadId`);
    const fh = await open(path, "r");
    try {
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      for (let offset = 0, PartNumber = 1; offset < size; offset += this.partBytes, PartNumber++) {
        const len = Math.min(this.partBytes, size - offset);
        const buf = Buffer.alloc(len);
        const { bytesRead } = await fh.read(buf, 0, len, offset);
        if (bytesRead !== len) throw new UploadError(`${path}: short read at ${offset} (${bytesRead} of ${len})`);
        const r = await this.client.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: buf, ContentLength: len }),
          { abortSignal: signal },
        );
        if (!r.ETag) throw new UploadError(`s3://${Bucket}/${Key}: part ${PartNumber} returned no ETag`);
        parts.push({ PartNumber, ETag: r.ETag });
        if (PartNumber === 1) await this.opts.midUpload?.();
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        { abortSignal: signal },
      );
    } catch (e) {
      // Best effort: an upload left open only costs storage until a lifecycle rule removes it.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw e;
    } finally {
      await fh.close();
    }
  }

  /** Every object under `prefix` (relative to the lake prefix), following continuation tokens. */
  async list(prefix: string): Promise<LakeObject[]> {
    const out: LakeObject[] = [];
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.full(prefix), ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(strip), size: o.Size ?? 0 });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /**
   * Sub-directory names directly under `dir` (ListObjectsV2 with a delimiter). If that
   * finds nothing, a plain listing double-checks: some S3-compatible servers (s3rver)
   * only report common prefixes for objects one level down. On S3 an empty answer means
   * an empty prefix, so the second listing is empty and cheap there.
   */
  async dirs(dir: string): Promise<string[]> {
    const rel = dir === "" || dir.endsWith("/") ? dir : `${dir}/`;
    const base = this.full(rel);
    const out = new Set<string>();
    let keys = 0;
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, Delimiter: "/", ContinuationToken: token }),
      );
      keys += r.Contents?.length ?? 0;
      for (const p of r.CommonPrefixes ?? []) if (p.Prefix) out.add(p.Prefix.slice(base.length).replace(/\/$/, ""));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    if (out.size === 0 && keys === 0) {
      for (const o of await this.list(rel)) {
        const rest = o.key.slice(rel.length);
        const slash = rest.indexOf("/");
        if (slash > 0) out.add(rest.slice(0, slash));
      }
    }
    return [...out].sort();
  }

  async download(key: string, path: string): Promise<void> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
    if (!r.Body) throw new UploadError(`s3://${this.bucket}/${this.full(key)}: empty body`);
    await writeFile(path, await r.Body.transformToByteArray());
  }

  async delete(keys: string[]): Promise<void> {
    for (const k of keys) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(k) }));
  }
}
