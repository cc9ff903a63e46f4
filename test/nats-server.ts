/**
 * Test helper: a private `nats-server -js` on a random port with a temporary store.
 *
 * Tests never touch the shared server on 127.0.0.1:4222. The helper can stop, kill -9
 * and restart the server on the same port and store, so tests can inject faults.
 *
 *   const ns = await startNatsServer();
 *   ... connect to ns.url ...
 *   await ns.kill(); await ns.restart();
 *   await ns.cleanup();
 *
 * `startNatsCluster(3)` starts a JetStream cluster of three such servers on loopback
 * (names n1…n3), each node killable and restartable on its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForPort } from "../lib/platform/net.ts";
export { waitForPort } from "../lib/platform/net.ts";

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";

export interface NatsServerOptions {
  /** Extra lines of server config (e.g. authorization blocks). */
  config?: string;
  /** Enable JetStream (default true). */
  jetstream?: boolean;
  port?: number;
  /** Require TLS from clients (PEM paths); `verify` also requires a client certificate signed by `caFile`. */
  tls?: { certFile: string; keyFile: string; caFile?: string; verify?: boolean };
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number | undefined;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (no flush, like a crash). */
  kill(): Promise<void>;
  /** Start again on the same port and store; resolves when it accepts connections. */
  restart(): Promise<void>;
  /** Stop if running and delete the store. */
  cleanup(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tlsBlock(t: NonNullable<NatsServerOptions["tls"]>): string {
  const lines = [`cert_file: "${t.certFile}"`, `key_file: "${t.keyFile}"`];
  if (t.caFile) lines.push(`ca_file: "${t.caFile}"`);
  if (t.verify) lines.push("verify: true");
  return `tls {\n  ${lines.join("\n  ")}\n  timeout: 5\n}`;
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const port = opts.port ?? (await freePort());
  const storeDir = await mkdtemp(join(tmpdir(), "tf-nats-"));
  const confPath = join(storeDir, "server.conf");
  const js = opts.jetstream ?? true;
  await writeFile(
    confPath,
    [
      `listen: 127.0.0.1:${port}`,
      js ? `jetstream { store_dir: "${join(storeDir, "js")}" }` : "",
      "max_payload: 8MB",
      opts.tls ? tlsBlock(opts.tls) : "",
      opts.config ?? "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const p = spawn(NATS_SERVER_BIN, ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = p;
    exited = new Promise((resolve) => p.once("exit", () => resolve()));
    const failed = exited.then(() => {
      throw new Error(`nats-server exited during start-up: ${stderr}`);
    });
    await Promise.race([waitForPort(port), failed]);
  };

  const signal = async (sig: NodeJS.Signals) => {
    const p = child;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(sig);
    await exited;
    child = undefined;
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return child?.pid;
    },
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    restart: async () => {
      await signal("SIGTERM");
      await launch();
    },
    cleanup: async () => {
      await signal("SIGKILL");
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

export interface NatsClusterHandle {
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  readonly url: string;
  readonly nodes: ReadonlyArray<NatsServerHandle & { readonly name: string }>;
  /** The node whose server_name is `name` (as JetStream reports leaders). @throws RangeError for an unknown name. */
  node(name: string): NatsServerHandle & { readonly name: string };
  /** Kill every node and delete their stores. */
  cleanup(): Promise<void>;
}

/**
 * A JetStream cluster of `size` nodes (default 3) on loopback, random client and route
 * ports, server names n1…nN. JetStream answers only once a meta leader is elected:
 * callers wait for that (e.g. retry `jsm.getAccountInfo()`), the ports being open is not enough.
 */
export async function startNatsCluster(size = 3): Promise<NatsClusterHandle> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  const routePorts: number[] = [];
  const clientPorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(", ");
  const nodes = await Promise.all(clientPorts.map(async (port, i) => {
    const name = `n${i + 1}`;
    const h = await startNatsServer({
      port,
      config: [`server_name: ${name}`, `cluster {\n  name: tf-test\n  listen: 127.0.0.1:${routePorts[i]}\n  routes: [${routes}]\n}`].join("\n"),
    });
    return Object.assign(h, { name });
  }));
  return {
    url: nodes.map((n) => n.url).join(","),
    nodes,
    node(name) {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new RangeError(`no node named ${name} (have ${nodes.map((x) => x.name).join(", ")})`);
      return n;
    },
    cleanup: async () => {
      await Promise.all(nodes.map((n) => n.cleanup()));
    },
  };
}
