/**
 * A small load client for the reference servers (and the edge): N clients, each
 * subscribed to K of the published rooms, over plain WebSockets (`--kind ws`: the
 * edge's {"op":"subscribe"} message — works against bare-uws and the edge) or Socket.IO
 * (`--kind socketio`: emit "subscribe", receive "m"). Counts messages and seq gaps,
 * samples delivery latency from the message `ts`, and reports its own event-loop delay.
 *
 *   npx tsx bench/reference-servers/client.ts --kind ws --url ws://127.0.0.1:9001/ws \
 *     --clients 100 --rooms 10 --rooms-per-client 10 --duration 10s
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { Histogram } from "../../load/runner/histogram.ts";
import { parseDuration } from "../../lib/platform/duration.ts";
import { roomNames } from "./common.ts";
import { peekFrame } from "../../load/lib/frames.js";
import { benchArgs } from "../args.ts";

export type ClientOptions = {
  kind: "ws" | "socketio";
  /** ws://host:port/ws for ws, http://host:port for socketio. */
  url: string;
  clients: number;
  rooms: number;
  roomsPerClient: number;
  durationMs: number;
  /** Rotate 127.0.0.1…N as source address (loopback targets), default 8. */
  sourceIps?: number;
  /** Connections opened at once while ramping up, default 200. */
  concurrency?: number;
  /** Every n-th client records latency, default 10. */
  probeEvery?: number;
};

export type ClientResult = {
  connected: number;
  failed: number;
  connectSec: number;
  received: number;
  msgsPerSec: number;
  gaps: number;
  latencyMs: { p50: number; p99: number; max: number; count: number };
  clientLagP99Ms: number;
};

export type ClientHooks = {
  /** After every client connected and subscribed (start a server-side window here). */
  afterConnect?: () => Promise<void>;
  /** At the end of the run, before the clients disconnect (read server stats here). */
  beforeClose?: () => Promise<void>;
};

type Conn = { close(): void };

export async function runClients(o: ClientOptions, hooks: ClientHooks = {}): Promise<ClientResult> {
  const names = roomNames(o.rooms);
  const k = Math.min(o.roomsPerClient, names.length);
  const probeEvery = o.probeEvery ?? 10;
  const ips = o.sourceIps ?? 8;
  const loopback = /^(ws|http)s?:\/\/127\./.test(o.url);
  const latency = new Histogram();
  const lastSeq = new Map<string, number>();
  let received = 0;
  let gaps = 0;
  let failed = 0;
  let measuring = false;

  const onText = (client: number, text: string, probe: boolean) => {
    if (!measuring) return;
    received++;
    const f = peekFrame(text) as { type: string; room: string; seq: number; ts: number };
    if (f.type !== "update") return;
    const key = `${client}|${f.room}`;
    const last = lastSeq.get(key);
    if (last !== undefined && f.seq > last + 1) gaps++;
    lastSeq.set(key, f.seq);
    if (probe) latency.add(Date.now() - f.ts);
  };

  const connectOne = (i: number): Promise<Conn | undefined> => {
    const rooms = Array.from({ length: k }, (_, j) => names[(i + j) % names.length]!);
    const localAddress = loopback && ips > 1 ? `127.0.0.${1 + (i % ips)}` : undefined;
    const probe = i % probeEvery === 0;
    return new Promise((resolve) => {
      if (o.kind === "ws") {
        const ws = new WebSocket(o.url, { localAddress, perMessageDeflate: false, skipUTF8Validation: true });
        ws.on("open", () => {
          ws.send(JSON.stringify({ op: "subscribe", rooms }));
          resolve({ close: () => ws.terminate() });
        });
        ws.on("message", (d) => onText(i, d.toString(), probe));
        ws.on("error", () => resolve(undefined));
      } else {
        const s: Socket = io(o.url, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 30_000, localAddress } as never);
        s.on("connect", () => {
          s.emit("subscribe", rooms);
          resolve({ close: () => s.disconnect() });
        });
        s.on("m", (text: string) => onText(i, text, probe));
        s.on("connect_error", () => resolve(undefined));
      }
    });
  };

  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const conns: Conn[] = [];
  const t0 = performance.now();
  const concurrency = o.concurrency ?? 200;
  for (let i = 0; i < o.clients; i += concurrency) {
    const batch = await Promise.all(Array.from({ length: Math.min(concurrency, o.clients - i) }, (_, j) => connectOne(i + j)));
    for (const c of batch) c ? conns.push(c) : failed++;
  }
  const connectSec = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500)); // let the subscribes land
  await hooks.afterConnect?.();
  lag.reset();
  measuring = true;
  const m0 = performance.now();
  await new Promise((r) => setTimeout(r, o.durationMs));
  measuring = false;
  const secs = (performance.now() - m0) / 1000;
  await hooks.beforeClose?.();
  for (const c of conns) c.close();
  lag.disable();
  return {
    connected: conns.length,
    failed,
    connectSec,
    received,
    msgsPerSec: received / secs,
    gaps,
    latencyMs: { p50: latency.percentile(50), p99: latency.percentile(99), max: latency.count ? latency.max : 0, count: latency.count },
    clientLagP99Ms: lag.percentile(99) / 1e6,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = benchArgs({ strings: ["kind", "url", "clients", "rooms", "rooms-per-client", "duration", "source-ips"] }).get;
  const kind = arg("kind") === "socketio" ? "socketio" : "ws";
  const url = arg("url");
  if (!url) {
    process.stderr.write("usage: client.ts --kind ws|socketio --url URL [--clients 100 --rooms 10 --rooms-per-client 10 --duration 10s]\n");
    process.exit(2);
  }
  const result = await runClients({
    kind,
    url,
    clients: Number(arg("clients") ?? 100),
    rooms: Number(arg("rooms") ?? 10),
    roomsPerClient: Number(arg("rooms-per-client") ?? 10),
    durationMs: parseDuration(arg("duration") ?? "10s"),
    sourceIps: Number(arg("source-ips") ?? 8),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}
