/**
 * Test helper: Debian's nginx (`apt-get install nginx`, /usr/sbin/nginx) in the
 * foreground, running the shipped ops/deploy/nginx.conf with only what a test host
 * needs changed: the listen address, the upstream (an edge on 127.0.0.1 instead of
 * compose's `edge:8080`), no Docker resolver, and pid/log/temp files in a temp dir.
 * Every other directive (sizing, headers, timeouts) is the shipped one.
 *
 *   const lb = await startNginx({ port, upstreamPort: edgePort });
 *   ... http://127.0.0.1:${port}/ ...
 *   await lb.stop();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForPort } from "../lib/platform/net.ts";

export const NGINX_BIN = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
export const SHIPPED_NGINX_CONF = join(import.meta.dirname, "..", "ops", "deploy", "nginx.conf");

export class NginxConfigError extends Error {
  override name = "NginxConfigError";
}

/** The shipped config rewritten for a test host; throws NginxConfigError if a directive it rewrites is missing. */
export function testNginxConfig(shipped: string, o: { port: number; upstreamPort: number; dir: string }): string {
  const swap = (text: string, re: RegExp, by: string) => {
    if (!re.test(text)) throw new NginxConfigError(`shipped nginx.conf has no ${re}`);
    return text.replace(re, by);
  };
  let c = shipped;
  c = swap(c, /^\s*resolver .*;$/m, "");
  c = swap(c, /server edge:8080;/, `server 127.0.0.1:${o.upstreamPort};`);
  c = swap(c, /listen 80\b/, `listen 127.0.0.1:${o.port}`);
  c = swap(c, /^http \{$/m, [
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${join(o.dir, t)};`),
  ].join("\n"));
  return [`pid ${join(o.dir, "nginx.pid")};`, `error_log ${join(o.dir, "error.log")} warn;`, "daemon off;", c].join("\n");
}

export interface NginxHandle {
  readonly port: number;
  readonly conf: string;
  /** nginx's error log so far (warnings, e.g. about file limits). */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

export async function startNginx(o: { port: number; upstreamPort: number; conf?: string }): Promise<NginxHandle> {
  const dir = await mkdtemp(join(tmpdir(), "tf-nginx-"));
  const conf = testNginxConfig(o.conf ?? await readFile(SHIPPED_NGINX_CONF, "utf8"), { ...o, dir });
  const file = join(dir, "nginx.conf");
  await writeFile(file, conf);
  const proc: ChildProcess = spawn(NGINX_BIN, ["-p", dir, "-c", file], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  try {
    await Promise.race([
      waitForPort(o.port),
      exited.then(() => Promise.reject(new Error(`nginx exited: ${out}`))),
    ]);
  } catch (e) {
    proc.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port: o.port,
    conf,
    errorLog: async () => (await readFile(join(dir, "error.log"), "utf8").catch(() => "")) + out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGQUIT"); // graceful: finish, then exit
        const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
