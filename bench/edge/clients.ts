/**
 * One client worker of the edge benchmark (forked by bench/edge/main.ts with IPC): opens
 * `count` WebSocket connections from its own 127.0.0.x source addresses (so 50,000
 * sockets neither exhaust nor crowd one address's ephemeral ports), subscribes each like a
 * dashboard, counts delivered frames, and measures NATS → client latency on a few
 * probe connections (the others never parse a frame, to keep client CPU low). Sockets
 * are the load runner's lean client (load/runner/wire.ts): at 50,000 sockets the
 * clients share two cores with the edge, and `ws` cost several µs per message.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { WireSocket } from "../../load/runner/wire.ts";

export interface ClientWorkerConfig {
  url: string;
  count: number;
  probes: number;
  /** Sockets rotate over 127.0.0.<sourceBase> … 127.0.0.<sourceBase + sources − 1>. */
  sourceBase: number;
  sources: number;
  /** Ticker symbols to pick each client's rooms from. */
  symbols: string[];
  minTickers: number;
  maxTickers: number;
  /** Connections opening at once. */
  concurrency: number;
}

export type ToWorker = { type: "stats" } | { type: "stop" };
export type FromWorker =
  | { type: "ramp"; opened: number; failed: number }
  | { type: "stats"; open: number; opened: number; failed: number; closed: number; delivered: number; bytes: number; latencies: number[]; lagP99Ms: number; cpuS: number };

const cfg = JSON.parse(process.argv[2] ?? "{}") as ClientWorkerConfig;
const send = (m: FromWorker) => process.send?.(m);
let opened = 0;
let failed = 0;
let closed = 0;
let open = 0;
let delivered = 0;
let bytes = 0;
let latencies: number[] = [];
// This worker's own event-loop delay: the part of a probe's latency that is the load
// generator's queueing, not the edge's.
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const sockets: WireSocket[] = [];
const TS = /"ts":(\d+)/;

function rooms(i: number): string[] {
  const n = cfg.minTickers + (i % (cfg.maxTickers - cfg.minTickers + 1));
  const out = ["movers", "pulse", "alerts"];
  // A deterministic spread over the symbols: popular and rare tickers both get watchers.
  for (let k = 0; k < n; k++) out.push(`ticker.${cfg.symbols[(i * 7 + k * 31) % cfg.symbols.length]}`);
  return [...new Set(out)];
}

function connectOne(i: number): Promise<void> {
  return new Promise((resolve) => {
    const probe = i < cfg.probes;
    let settled = false;
    let wasOpen = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const ws: WireSocket = new WireSocket(cfg.url, {
      open: () => {
        opened++;
        open++;
        wasOpen = true;
        ws.send(JSON.stringify({ op: "subscribe", rooms: rooms(i) }));
        done();
      },
      message: (data) => {
        delivered++;
        bytes += data.length;
        if (probe && data[9] === 117 /* {"type":"u */) {
          const m = TS.exec(data.toString("latin1", 0, 120));
          if (m && latencies.length < 1_000_000) latencies.push(Date.now() - Number(m[1]));
        }
      },
      error: () => {
        if (!wasOpen && !settled) failed++;
        done();
      },
      close: () => {
        if (wasOpen) {
          open--;
          closed++;
        } else if (!settled) failed++;
        done();
      },
    }, { localAddress: `127.0.0.${cfg.sourceBase + (i % cfg.sources)}`, handshakeTimeoutMs: 30_000 });
    sockets.push(ws);
  });
}

async function ramp(): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < cfg.count) {
      const i = next++;
      await connectOne(i);
      if (i % 1000 === 0) send({ type: "ramp", opened, failed });
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, lane));
  send({ type: "ramp", opened, failed });
}

process.on("message", (m: ToWorker) => {
  if (m.type === "stats") {
    const u = process.cpuUsage();
    send({ type: "stats", open, opened, failed, closed, delivered, bytes, latencies, lagP99Ms: lag.percentile(99) / 1e6, cpuS: (u.user + u.system) / 1e6 });
    latencies = [];
    lag.reset();
  } else if (m.type === "stop") {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));

await ramp();
