/**
 * S3 access for the lake with `@aws-sdk/client-s3`: uploads through `@aws-sdk/lib-storage`'s
 * `Upload` (PutObject below a size threshold, multipart above it, aborted on failure),
 * paged listing, download and delete.
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
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandOutput,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type UploadPartCommandOutput,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createReadStream } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
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
    // Upload refuses parts under S3's 5 MiB minimum when it is constructed. S3 itself
    // enforces the minimum (EntityTooSmall), S3-compatible test servers do not, and the
    // tests send small files in 4 KiB parts: so an explicitly smaller part size lowers it.
    const storage = Upload as unknown as { MIN_PART_SIZE: number };
    if (this.partBytes < storage.MIN_PART_SIZE) storage.MIN_PART_SIZE = this.partBytes;
  }

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private full(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /**
   * Upload a local file to `key`; the object appears whole or not at all. Verifies the stored size.
   * `Upload` (lib-storage) sends one PutObject when the file fits in one part, else a multipart
   * upload, one part at a time (`queueSize: 1`: one part buffered per upload, as the archiver's
   * memory plan assumes), aborted on failure.
   */
  async upload(path: string, key: string, signal?: AbortSignal): Promise<void> {
    const size = (await stat(path)).size;
    const Key = this.full(key);
    const upload = new Upload({
      client: this.#uploadClient(Key, signal),
      params: { Bucket: this.bucket, Key, Body: createReadStream(path), ContentLength: size },
      // Below the threshold one part holds the whole file, so Upload sends a single PutObject.
      partSize: size < this.multipartBytes ? Math.max(size, this.partBytes) : this.partBytes,
      queueSize: 1,
    });
    await upload.done();
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal });
    if (head.ContentLength !== size) {
      throw new UploadError(`s3://${this.bucket}/${Key}: stored ${head.ContentLength} bytes, expected ${size}`);
    }
  }

  /**
   * The client `Upload` sends through, for one upload: every request gets `signal` (Upload
   * aborts only between requests), the best-effort AbortMultipartUpload never fails the
   * upload (the error reported stays the one that stopped it; an upload left open only
   * costs storage until a lifecycle rule removes it), missing UploadId/ETag are
   * UploadErrors, and the test hook runs before a PutObject or after the first part.
   */
  #uploadClient(Key: string, signal?: AbortSignal): S3Client {
    const { client, bucket: Bucket } = this;
    const mid = this.opts.midUpload;
    const send = async (cmd: Parameters<S3Client["send"]>[0]): Promise<unknown> => {
      if (cmd instanceof AbortMultipartUploadCommand) return await client.send(cmd).catch(() => ({}));
      if (cmd instanceof PutObjectCommand) await mid?.();
      const r = await client.send(cmd, { abortSignal: signal });
      if (cmd instanceof CreateMultipartUploadCommand && !(r as CreateMultipartUploadCommandOutput).UploadId) {
        throw new UploadError(`s3://${Bucket}/${Key}: CreateMultipartUpload returned no UploadId`);
      }
      if (cmd instanceof UploadPartCommand) {
        if (!(r as UploadPartCommandOutput).ETag) {
          throw new UploadError(`s3://${Bucket}/${Key}: part ${cmd.input.PartNumber} returned no ETag`);
        }
        if (cmd.input.PartNumber === 1) await mid?.();
      }
      return r;
    };
    return new Proxy(client, { get: (c, p) => (p === "send" ? send : Reflect.get(c, p)) });
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
