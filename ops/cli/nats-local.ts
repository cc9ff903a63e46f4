/**
 * Finds NATS for the local stack: reuse NATS_URL if a NATS server answers at any of its
 * entries, otherwise plan nats-server with JetStream on that address (data in
 * ./data/nats), one node or a local cluster of N, installing it from Debian's packages
 * if it is missing and we are root.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import type { ProcSpec } from "./procs.ts";

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

export interface NatsAddr {
  host: string;
  port: number;
}

/** Every entry of a comma-separated NATS_URL, as host and port. */
export function natsAddrs(url: string): NatsAddr[] {
  return url
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)
    .map((entry) => {
      const u = new URL(entry.includes("://") ? entry : `nats://${entry}`);
      return { host: u.hostname || "127.0.0.1", port: Number(u.port || 4222) };
    });
}

export interface NatsPlan {
  url: string;
  /** nats-server processes to start (none when a server answers at some NATS_URL entry). */
  specs: ProcSpec[];
  /** Where the started servers listen, to wait for. */
  addrs: NatsAddr[];
}

/**
 * Decide how the local stack gets NATS: reuse it if a server answers at ANY entry of
 * NATS_URL (so one node of a cluster being down does not start a stray standalone
 * server on its address), else start one nats-server on the first entry, or with
 * `cluster` = N, N clustered nodes (ports of the first entry +0, +1, ...; routes on
 * port+10...) with JetStream in ./data/nats/n<i>.
 */
export async function planNats(url: string, dataDir: string, cluster = 1): Promise<NatsPlan> {
  const addrs = natsAddrs(url);
  if (addrs.length === 0) throw new Error("NATS_URL is empty");
  const answers = await Promise.all(addrs.map((a) => natsAnswers(a.host, a.port)));
  if (answers.some(Boolean)) return { url, specs: [], addrs: [] };
  const first = addrs[0]!;
  if (!["127.0.0.1", "localhost", "0.0.0.0"].includes(first.host)) {
    throw new Error(`no NATS server answers at ${url}, and ${first.host} is not a local address I could start one on`);
  }
  const bin = findNatsServer() ?? installNatsServer();
  if (!bin) throw new Error(`nats-server is not installed (apt-get install nats-server) and no NATS answers at ${url}`);
  const host = first.host === "localhost" ? "127.0.0.1" : first.host;
  if (cluster <= 1) {
    const store = join(dataDir, "nats");
    mkdirSync(store, { recursive: true });
    const spec = { name: "nats", cmd: bin, args: ["-a", host, "-p", String(first.port), "-js", "-sd", store], env: {}, opts: { quiet: true, index: 6 } };
    return { url, specs: [spec], addrs: [{ host, port: first.port }] };
  }
  const nodes = Array.from({ length: cluster }, (_, i) => ({ host, port: first.port + i, route: first.port + 10 + i }));
  const routes = nodes.map((n) => `nats://${host}:${n.route}`).join(",");
  const specs = nodes.map((n, i) => {
    const store = join(dataDir, "nats", `n${i + 1}`);
    mkdirSync(store, { recursive: true });
    return {
      name: `nats-${i + 1}`,
      cmd: bin,
      args: ["-a", host, "-p", String(n.port), "-n", `n${i + 1}`, "--cluster_name", "tickflow", "--cluster", `nats://${host}:${n.route}`, "--routes", routes, "-js", "-sd", store],
      env: {},
      opts: { quiet: true, index: 6 },
    };
  });
  return { url: nodes.map((n) => `nats://${host}:${n.port}`).join(","), specs, addrs: nodes };
}

/** Wait until a NATS server greets us at `a`; `exited()` true means give up at once. */
export async function waitNats(a: NatsAddr, exited: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await natsAnswers(a.host, a.port, 500))) {
    if (exited()) throw new Error(`nats-server on ${a.host}:${a.port} exited during start-up`);
    if (Date.now() > deadline) throw new Error(`nats-server on ${a.host}:${a.port} did not start within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
