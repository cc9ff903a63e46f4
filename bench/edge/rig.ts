/**
 * The system under test of the fan-out benchmarks (bench:edge, bench:load): a
 * nats-server (or NATS_URL) with the bus streams, the edge as a child process with
 * `workers` worker processes on one port, and the benchmark publisher. `stop()` (also
 * run on exit) ends every process it started.
 */
import type { ChildProcess } from "node:child_process";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { childPids, cpuSeconds, rssBytes } from "./procstat.ts";
import { BenchPublisher, type PublisherOptions } from "./publisher.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Rig {
  nc: NatsConnection;
  port: number;
  url: string;
  edge: ChildProcess;
  publisher: BenchPublisher;
  /** The edge's processes: the primary and, with workers, its children. */
  pids(): number[];
  cpuSeconds(): number;
  rssBytes(): number;
  stop(): Promise<void>;
}

export interface RigOptions {
  workers: number;
  publisher: PublisherOptions;
  /** Extra edge environment. */
  env?: Record<string, string>;
}

async function health(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: "close" } })).status;
  } catch {
    return 0;
  }
}

export async function startRig(o: RigOptions): Promise<Rig> {
  let ns: NatsServerHandle | undefined;
  const natsUrl = process.env.NATS_URL ?? (ns = await startNatsServer()).url;
  const nc = await connect({ servers: natsUrl });
  await ensureStreams(await jetstreamManager(nc));
  const port = await freePort();
  const edge = spawnTsx("edge/main.ts", {
    env: {
      NATS_URL: natsUrl,
      EDGE_PORT: String(port),
      EDGE_WORKERS: String(o.workers),
      EDGE_IDLE_TIMEOUT: "120s",
      LOG_LEVEL: "warning",
      ...o.env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const pids = () => (o.workers > 1 ? [edge.pid!, ...childPids(edge.pid!)] : [edge.pid!]);
  const publisher = new BenchPublisher(nc, o.publisher);
  let stopped = false;
  const kill = () => {
    if (edge.exitCode === null && edge.signalCode === null) edge.kill("SIGKILL");
    if (ns?.pid) {
      try {
        process.kill(ns.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
  };
  process.on("exit", kill);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    publisher.stop();
    if (edge.exitCode === null && edge.signalCode === null) {
      edge.kill("SIGTERM");
      const t = Date.now();
      while (edge.exitCode === null && edge.signalCode === null && Date.now() - t < 10_000) await sleep(100);
    }
    await nc.close().catch(() => {});
    kill();
    await ns?.cleanup();
  };

  try {
    const t0 = Date.now();
    while ((await health(port)) !== 200 || pids().length < (o.workers > 1 ? o.workers + 1 : 1)) {
      if (edge.exitCode !== null) throw new Error(`edge exited with ${edge.exitCode}`);
      if (Date.now() - t0 > 60_000) throw new Error("edge not healthy within 60 s");
      await sleep(200);
    }
    await sleep(1000); // every worker ready, not just the first to answer
  } catch (e) {
    await stop();
    throw e;
  }
  publisher.start();
  return {
    nc,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    edge,
    publisher,
    pids,
    cpuSeconds: () => pids().reduce((a, p) => a + cpuSeconds(p), 0),
    rssBytes: () => pids().reduce((a, p) => a + rssBytes(p), 0),
    stop,
  };
}
