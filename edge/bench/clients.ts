/**
 * One client worker of the edge benchmark (forked by edge/bench.ts with IPC): opens
 * `count` WebSocket connections from its own 127.0.0.x source address (so 50,000
 * sockets do not exhaust one address's ephemeral ports), subscribes each like a
 * dashboard, counts delivered frames, and measures NATS → client latency on a few
 * probe connections (the others never parse a frame, to keep client CPU low).
 */
import WebSocket from "ws";

export interface ClientWorkerConfig {
  url: string;
  count: number;
  probes: number;
  localAddress: string;
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
  | { type: "stats"; open: number; opened: number; failed: number; closed: number; delivered: number; bytes: number; latencies: number[] };

const cfg = JSON.parse(process.argv[2] ?? "{}") as ClientWorkerConfig;
const send = (m: FromWorker) => process.send?.(m);
let opened = 0;
let failed = 0;
let closed = 0;
let open = 0;
let delivered = 0;
let bytes = 0;
let latencies: number[] = [];
const sockets: WebSocket[] = [];
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
    const ws = new WebSocket(cfg.url, { localAddress: cfg.localAddress, perMessageDeflate: false, handshakeTimeout: 30_000 });
    sockets.push(ws);
    let settled = false;
    let wasOpen = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    ws.on("open", () => {
      opened++;
      open++;
      wasOpen = true;
      ws.send(JSON.stringify({ op: "subscribe", rooms: rooms(i) }));
      done();
    });
    ws.on("message", (data: Buffer) => {
      delivered++;
      bytes += data.length;
      if (probe && data[9] === 117 /* {"type":"u */) {
        const m = TS.exec(data.toString("latin1", 0, 120));
        if (m && latencies.length < 1_000_000) latencies.push(Date.now() - Number(m[1]));
      }
    });
    ws.on("error", () => {
      if (!settled) failed++;
      done();
    });
    ws.on("close", () => {
      if (wasOpen) {
        open--;
        closed++;
      }
      done();
    });
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
    send({ type: "stats", open, opened, failed, closed, delivered, bytes, latencies });
    latencies = [];
  } else if (m.type === "stop") {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));

await ramp();
