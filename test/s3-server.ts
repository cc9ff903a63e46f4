/**
 * Test helper: a private S3-compatible server (s3rver) on a random port with a
 * temporary directory and one bucket.
 *
 * s3rver runs in a child Node process started with `--openssl-legacy-provider`: its
 * ListObjectsV2 continuation tokens use a cipher that Node 20's OpenSSL 3 refuses
 * otherwise, so paging through more than 1,000 keys would fail in-process.
 * The server can be stopped and restarted on the same port and directory, so a test
 * can simulate an S3 outage and its end.
 *
 *   const s3 = await startS3Server();           // s3.endpoint, s3.bucket
 *   await s3.stop(); ... await s3.start();       // outage
 *   await s3.cleanup();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./nats-server.ts";
import { waitForPort } from "../lib/platform/net.ts";

const ROOT = join(import.meta.dirname, "..");

export interface S3ServerHandle {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** Where s3rver keeps the objects. */
  readonly directory: string;
  /** Environment for an S3 client of this server (endpoint, region, path style, dummy credentials). */
  readonly env: Record<string, string>;
  readonly running: boolean;
  /** SIGKILL the server (an outage); its data stays. */
  stop(): Promise<void>;
  /** Start again on the same port and directory; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stop and delete the directory. */
  cleanup(): Promise<void>;
}

export interface S3ServerOptions {
  bucket?: string;
  port?: number;
}

/** s3rver's own credentials (it checks signatures against these). */
export const S3RVER_KEY = "S3RVER";

export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3ServerHandle> {
  const port = opts.port ?? (await freePort());
  const bucket = opts.bucket ?? "lake";
  const directory = await mkdtemp(join(tmpdir(), "tf-s3-"));
  const script = `
    const S3rver = require("s3rver");
    const srv = new S3rver({ port: ${port}, address: "127.0.0.1", directory: ${JSON.stringify(directory)},
      silent: true, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] });
    srv.run().catch((e) => { console.error(e); process.exit(1); });
    process.on("SIGTERM", () => srv.close().finally(() => process.exit(0)));
  `;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const p = spawn(process.execPath, ["--openssl-legacy-provider", "-e", script], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    p.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = p;
    exited = new Promise((resolve) => p.once("exit", () => resolve()));
    const failed = exited.then(() => {
      throw new Error(`s3rver exited during start-up: ${stderr}`);
    });
    await Promise.race([waitForPort(port), failed]);
  };

  const stop = async () => {
    const p = child;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill("SIGKILL");
    await exited;
    child = undefined;
  };

  await launch();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    bucket,
    directory,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: "us-east-1",
      AWS_S3_FORCE_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: S3RVER_KEY,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    start: async () => {
      await stop();
      await launch();
    },
    cleanup: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
