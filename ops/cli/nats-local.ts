/**
 * Finds NATS for the local stack: reuse NATS_URL if a NATS server answers there,
 * otherwise start nats-server with JetStream on that address (data in ./data/nats),
 * installing it from Debian's packages if it is missing and we are root.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { startProc, type Proc } from "./procs.ts";

/** True when a NATS server greets us (INFO line) at host:port within timeoutMs. */
export function natsAnswers(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("data", (d) => done(d.toString().startsWith("INFO")));
    s.once("error", () => done(false));
  });
}

export function findNatsServer(): string | undefined {
  for (const p of [process.env.NATS_SERVER_BIN, "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    if (p && existsSync(p)) return p;
  }
  try {
    return execFileSync("sh", ["-c", "command -v nats-server"]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

function installNatsServer(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  console.log("nats-server not found; installing Debian's nats-server package…");
  try {
    execFileSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server"], { stdio: "inherit" });
  } catch {
    return undefined;
  }
  return findNatsServer();
}

export async function ensureNats(url: string, dataDir: string): Promise<{ url: string; proc?: Proc }> {
  const first = url.split(",")[0]!.trim();
  const u = new URL(first.includes("://") ? first : `nats://${first}`);
  const host = u.hostname || "127.0.0.1";
  const port = Number(u.port || 4222);
  if (await natsAnswers(host, port)) return { url };
  if (!["127.0.0.1", "localhost", "0.0.0.0"].includes(host)) {
    throw new Error(`no NATS server answers at ${first}, and it is not a local address I could start one on`);
  }
  const bin = findNatsServer() ?? installNatsServer();
  if (!bin) throw new Error("nats-server is not installed (apt-get install nats-server) and no NATS answers at " + first);
  const store = join(dataDir, "nats");
  mkdirSync(store, { recursive: true });
  const proc = startProc("nats", bin, ["-a", host === "localhost" ? "127.0.0.1" : host, "-p", String(port), "-js", "-sd", store], {}, { quiet: true, index: 6 });
  const deadline = Date.now() + 10_000;
  while (!(await natsAnswers(host, port, 500))) {
    if (proc.child.exitCode !== null) throw new Error(`nats-server exited with code ${proc.child.exitCode}`);
    if (Date.now() > deadline) throw new Error("nats-server did not start within 10 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, proc };
}

export { spawn };
