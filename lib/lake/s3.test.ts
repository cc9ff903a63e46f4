/**
 * S3Lake.upload against a real S3 server (s3rver): which requests lib-storage's `Upload`
 * sends, where the test hook runs (the archiver's kill -9 suite pauses there), and which
 * error an upload reports when S3 is down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { startS3Server, type S3ServerHandle } from "../../test/s3-server.ts";
import { s3Client, S3Lake } from "./s3.ts";

describe("S3Lake.upload through lib-storage (s3rver)", () => {
  let s3: S3ServerHandle;
  let dir: string;
  let client: S3Client;
  const sent: string[] = [];
  const failed = new Map<string, unknown>();

  const file = async (name: string, bytes: number) => {
    const path = join(dir, name);
    await writeFile(path, Buffer.alloc(bytes, name));
    return path;
  };
  const exists = (key: string) =>
    client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `p/${key}` })).then(() => true, () => false);

  beforeAll(async () => {
    s3 = await startS3Server();
    dir = await mkdtemp(join(tmpdir(), "tf-s3lake-"));
    client = s3Client({ ...s3.env, AWS_S3_FORCE_PATH_STYLE: true });
    client.middlewareStack.add((next, ctx) => (args) => {
      const name = String(ctx.commandName).replace(/Command$/, "");
      sent.push(name);
      return next(args).catch((e: unknown) => {
        failed.set(name, e);
        throw e;
      });
    }, { step: "initialize", name: "countCommands" });
  });
  afterAll(async () => {
    await s3?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("a file above the threshold goes in parts of partBytes, one at a time; below it, one PutObject", async () => {
    const lake = new S3Lake(client, s3.bucket, "p", { multipartBytes: 10_000, partBytes: 4096 });
    sent.length = 0;
    await lake.upload(await file("big", 4096 * 4 + 100), "big.bin");
    expect(sent).toEqual(["CreateMultipartUpload", ...Array(5).fill("UploadPart"), "CompleteMultipartUpload", "HeadObject"]);
    sent.length = 0;
    await lake.upload(await file("small", 9_999), "small.bin");
    expect(sent).toEqual(["PutObject", "HeadObject"]);
    expect((await lake.list("")).sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: "big.bin", size: 16_484 },
      { key: "small.bin", size: 9_999 },
    ]);
  });

  it("the test hook holds a multipart upload after its first part (nothing visible yet), a single put before it", async () => {
    let release!: () => void;
    let calls = 0;
    const held = new Promise<void>((r) => (release = r));
    const lake = new S3Lake(client, s3.bucket, "p", {
      multipartBytes: 1,
      partBytes: 4096,
      midUpload: async () => {
        calls++;
        await held;
      },
    });
    sent.length = 0;
    const done = lake.upload(await file("held", 3 * 4096), "held.bin");
    await expect.poll(() => calls).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(sent).toEqual(["CreateMultipartUpload", "UploadPart"]);
    expect(await exists("held.bin")).toBe(false);
    release();
    await done;
    expect(calls).toBe(1);
    expect(sent.filter((c) => c === "UploadPart")).toHaveLength(3);
    expect(await exists("held.bin")).toBe(true);

    // One part only: Upload sends a PutObject, and the hook runs before it.
    let visibleAtHook: boolean | undefined;
    const one = new S3Lake(client, s3.bucket, "p", {
      multipartBytes: 1,
      partBytes: 4096,
      midUpload: async () => void (visibleAtHook = await exists("one.bin")),
    });
    sent.length = 0;
    await one.upload(await file("one", 1000), "one.bin");
    expect(visibleAtHook).toBe(false);
    expect(sent.filter((c) => !c.startsWith("Head"))).toEqual(["PutObject"]);
  });

  it("with S3 down the upload reports the request's own error, not the failed abort's", async () => {
    const lake = new S3Lake(client, s3.bucket, "p", { multipartBytes: 1, partBytes: 4096 });
    const path = await file("down", 3 * 4096);
    const hooked = new S3Lake(client, s3.bucket, "p", { multipartBytes: 1, partBytes: 4096, midUpload: () => s3.stop() });
    sent.length = 0;
    // S3 goes away after the first part: part 2 fails, the abort fails too, part 2's error is reported.
    const err = await hooked.upload(path, "down.bin").then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(err?.code).toBe("ECONNREFUSED");
    expect(failed.get("AbortMultipartUpload")).toBeDefined();
    expect(err).toBe(failed.get("UploadPart"));
    expect(sent).toEqual(["CreateMultipartUpload", "UploadPart", "UploadPart", "AbortMultipartUpload"]);
    await s3.start();
    await lake.upload(path, "down.bin");
    expect(await exists("down.bin")).toBe(true);
  });
});
