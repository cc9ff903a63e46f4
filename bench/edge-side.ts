/**
 * The Tickflow edge under the reference servers' load, for the side-by-side benchmark:
 * the same rooms (bench/reference-servers/common.ts `roomNames`), the same rate and payload,
 * the same clients (`runClients` from bench/reference-servers/client.ts, plain WebSockets
 * speaking the edge's subscribe frame), the same measurement window.
 *
 * What differs is only what makes it the edge: the messages come from NATS (a producer
 * publishes `room.<room>` in wire format, as the coalescer does) and the edge process
 * (edge/main.ts with EDGE_WORKERS=1, so one process like the references) forwards them.
 * CPU is read from the schedstat of every thread (/proc/<pid>/task/<tid>), RSS from
 * /proc/<pid>/status; "delivered" is the edge's own `edge_messages_out_total`
 * (publishes × subscribers, the references' count).
 */
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { encodeRoomUpdate } from "../lib/contracts/rooms.ts";
import { ensureStreams } from "../lib/platform/streams.ts";
import { subjects } from "../lib/contracts/subjects.ts";
import { cpuSeconds, rssBytes } from "./edge/procstat.ts";
import { roomNames, runClients, type ClientResult } from "./reference.ts";
import { freePort, startNatsServer } from "../test/nats-server.ts";
import { spawnTsx } from "../test/tsx-child.ts";


export interface SideLoad {
  clients: number;
  rooms: number;
  roomsPerClient: number;
  /** Messages per second per room. */
  rate: number;
  payloadBytes: number;
  durationMs: number;
  sourceIps: number;
}

/** What one server did under a {@link SideLoad}, in the reference servers' terms. */
export interface SideFigures {
  server: "edge" | "uws" | "socketio";
  connections: number;
  /** Messages handed to sockets in the window, counted by the server. */
  delivered: number;
  windowSec: number;
  cpuUsPerDelivered: number;
  rssPerConnectionBytes: number;
  /** Edge only: CPU ms per second with the producer running and no client (its fixed cost). */
  idleCpuMsPerSec?: number;
  client: ClientResult;
}

export class EdgeSideError extends Error {
  override name = "EdgeSideError";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds of every thread of `pid`, from /proc/<pid>/task/<tid>/schedstat (time on
 * CPU in ns): far finer than /proc/<pid>/stat's 10 ms ticks, which matters for short
 * windows. Falls back to the tick count when schedstat is not available.
 */
export function cpuSecondsFine(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  } catch { /* thread gone between the listing and the read, or no schedstat */ }
  return cpuSeconds(pid);
}

/**
 * Waits until an idle process has given back its start-up memory. A freshly started
 * edge sits at its start-up peak (~104 MiB here) until V8's memory reducer runs, ~15 s
 * after start-up when the process is idle, and RSS falls by ~20 MiB (the young
 * generation, grown by the start-up allocations, shrinks back; `gc()` does not do
 * that). A baseline taken before that makes the per-connection figure too low, even
 * negative, because the clients' allocations trigger the same shrink later. Samples
 * every 500 ms; done once RSS fell by > 5 MiB from its peak and then held (±1 MiB) for
 * 2 s, or after `maxMs`. Returns the last sample.
 */
export async function settleRss(pid: number, maxMs = 30_000): Promise<number> {
  const t0 = Date.now();
  let peak = 0;
  let fellAt = 0;
  let last = 0;
  while (Date.now() - t0 < maxMs) {
    await sleep(500);
    const r = rssBytes(pid);
    peak = Math.max(peak, r);
    if (fellAt && Math.abs(r - last) > 2 ** 20) fellAt = Date.now();
    if (!fellAt && peak - r > 5 * 2 ** 20) fellAt = Date.now();
    last = r;
    if (fellAt && Date.now() - fellAt >= 2000) break;
  }
  return last;
}

async function scrapeCounter(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, "m").exec(text);
  if (!m) throw new EdgeSideError(`${name} missing from the edge's /metrics`);
  return Number(m[1]);
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** Run the edge under `load`; everything it starts is stopped before it returns or throws. */
export async function runEdgeSide(load: SideLoad, log: (s: string) => void = console.log): Promise<SideFigures> {
  const ns = await startNatsServer();
  let edge: ChildProcess | undefined;
  let stopPublishing = () => {};
  const nc = await connect({ servers: ns.url, name: "bench side-by-side producer" });
  try {
    await ensureStreams(await jetstreamManager(nc));
    const port = await freePort();
    edge = spawnTsx("edge/main.ts", {
      env: {
        NATS_URL: ns.url,
        EDGE_PORT: String(port),
        EDGE_HOST: "127.0.0.1",
        EDGE_WORKERS: "1",
        EDGE_MAX_CONNS_PER_IP: "1000000",
        EDGE_IDLE_TIMEOUT: "120s",
        LOG_LEVEL: "warning",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const t0 = Date.now();
    while (!(await healthy(port))) {
      if (edge.exitCode !== null) throw new EdgeSideError(`edge exited with code ${edge.exitCode} before it was healthy`);
      if (Date.now() - t0 > 60_000) throw new EdgeSideError("edge not healthy within 60 s");
      await sleep(200);
    }
    const pid = edge.pid!;
    const idle = await settleRss(pid); // before any message: the memory reducer runs only when idle

    // The reference servers' publish pattern (bench/reference-servers/common.ts), through NATS.
    const names = await roomNames(load.rooms);
    const seq = new Map(names.map((r) => [r, 0]));
    const pad = "x".repeat(load.payloadBytes);
    const timer = setInterval(() => {
      const ts = Date.now();
      for (const room of names) {
        const n = seq.get(room)! + 1;
        seq.set(room, n);
        nc.publish(subjects.room(room), encodeRoomUpdate(room, n, ts, { price: 100 + (n % 50), pad }));
      }
    }, 1000 / load.rate);
    stopPublishing = () => clearInterval(timer);
    await sleep(500);
    // Its fixed cost: CPU with the producer running and no client (NATS, timers, sweeps).
    const idleCpu0 = cpuSecondsFine(pid);
    await sleep(2000);
    const idleCpuMsPerSec = ((cpuSecondsFine(pid) - idleCpu0) * 1000) / 2;
    const baselineRss = rssBytes(pid);
    log(`  edge without clients: RSS ${(idle / 2 ** 20).toFixed(1)} MiB idle, ${(baselineRss / 2 ** 20).toFixed(1)} MiB with the producer running (baseline); CPU ${idleCpuMsPerSec.toFixed(1)} ms/s`);

    let cpu0 = 0;
    let out0 = 0;
    let w0 = 0;
    let fig: Omit<SideFigures, "client"> | undefined;
    const client = await runClients(
      { kind: "ws", url: `ws://127.0.0.1:${port}/ws`, clients: load.clients, rooms: load.rooms, roomsPerClient: load.roomsPerClient, durationMs: load.durationMs, sourceIps: load.sourceIps },
      {
        afterConnect: async () => {
          out0 = await scrapeCounter(port, "edge_messages_out_total");
          cpu0 = cpuSecondsFine(pid);
          w0 = performance.now();
        },
        beforeClose: async () => {
          const cpu1 = cpuSecondsFine(pid);
          const windowSec = (performance.now() - w0) / 1000;
          const delivered = (await scrapeCounter(port, "edge_messages_out_total")) - out0;
          const connections = await scrapeCounter(port, "edge_connections");
          const rss = rssBytes(pid);
          fig = {
            server: "edge",
            connections,
            delivered,
            windowSec,
            cpuUsPerDelivered: delivered > 0 ? ((cpu1 - cpu0) * 1e6) / delivered : NaN,
            rssPerConnectionBytes: connections > 0 ? (rss - baselineRss) / connections : NaN,
            idleCpuMsPerSec,
          };
        },
      },
    );
    if (!fig) throw new EdgeSideError("the measurement window did not complete");
    return { ...fig, client };
  } finally {
    stopPublishing();
    if (edge && edge.exitCode === null) {
      const gone = new Promise((r) => edge!.once("exit", r));
      edge.kill("SIGTERM");
      await Promise.race([gone, sleep(10_000)]);
      if (edge.exitCode === null && edge.signalCode === null) edge.kill("SIGKILL");
    }
    await nc.close().catch(() => {});
    await ns.cleanup();
  }
}
