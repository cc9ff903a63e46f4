/**
 * A tiny stand-in for the edge, for the load scripts' own tests: a `ws` server at
 * ws://HOST:PORT/ws speaking the client protocol (lib/contracts/protocol.ts) — hello, subscribe
 * → snapshot + updates with per-room seq and producer ts, `since` replay for stream
 * rooms (alerts, candles.*), unsubscribe, ping → pong — that publishes every room at a
 * known rate. Sockets whose send buffer exceeds a limit are closed with 4001 (too
 * slow), like the edge. GET /metrics reports process_resident_memory_bytes; GET
 * /published the last seq per room (the producer's count for PUBLISHED_URL).
 *
 * Programmatic: `startMiniEdge({ ratePerRoom: 10 })`. Standalone:
 * `npx tsx load/test/mini-edge.ts --port 0 --rate 10` prints {"url",...} as JSON.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import { CloseCode, ClientMsg, ErrorCode } from "../../lib/contracts/protocol.ts";
import { DEFAULT_SYMBOLS } from "../lib/rooms.js";
import { parseArgs } from "node:util";

export type MiniEdgeOptions = {
  port?: number;
  host?: string;
  /** Messages per second published in every room (default 10). */
  ratePerRoom?: number;
  symbols?: string[];
  /** Extra bytes of padding per message, to fill slow consumers' buffers faster (default 0). */
  payloadBytes?: number;
  /** Messages kept per stream room for `since` replay (default 5000). */
  historySize?: number;
  /** A socket with more unsent bytes than this is closed with 4001 (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Fault injection: skip delivering every n-th message of every room (default 0 = never). */
  dropEvery?: number;
};

export type MiniEdgeStats = {
  connections: number;
  delivered: number;
  published: number;
  subscribes: number;
  unsubscribes: number;
  replayed: number;
  closedTooSlow: number;
  maxBufferedBytes: number;
  dropped: number;
  /** Distinct client source addresses seen. */
  sourceAddresses: number;
};

export type MiniEdge = { url: string; metricsUrl: string; publishedUrl: string; port: number; stats(): MiniEdgeStats; close(): Promise<void> };

type Room = { name: string; stream: boolean; seq: number; last?: string; history: Array<{ seq: number; text: string }>; subs: Set<WebSocket> };

const isStreamRoom = (r: string) => r === "alerts" || r.startsWith("candles.");

export async function startMiniEdge(o: MiniEdgeOptions = {}): Promise<MiniEdge> {
  const rate = o.ratePerRoom ?? 10;
  const symbols: string[] = o.symbols ?? DEFAULT_SYMBOLS;
  const historySize = o.historySize ?? 5000;
  const maxBuffered = o.maxBufferedBytes ?? 4 * 2 ** 20;
  const pad = "x".repeat(o.payloadBytes ?? 0);
  const stats: MiniEdgeStats = { connections: 0, delivered: 0, published: 0, subscribes: 0, unsubscribes: 0, replayed: 0, closedTooSlow: 0, maxBufferedBytes: 0, dropped: 0, sourceAddresses: 0 };
  const sources = new Set<string>();
  const rooms = new Map<string, Room>();
  for (const name of ["movers", "topcoins", "pulse", "alerts", ...symbols.flatMap((s) => [`ticker.${s}`, `candles.${s}.1m`])]) {
    rooms.set(name, { name, stream: isStreamRoom(name), seq: 0, history: [], subs: new Set() });
  }

  const http = createServer((req, res) => {
    if (req.url === "/published") {
      // The producer's count (PUBLISHED_URL): last seq per room, before any dropEvery fault.
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ rooms: Object.fromEntries([...rooms.values()].map((r) => [r.name, r.seq])) }));
    } else if (req.url === "/metrics") {
      res.setHeader("content-type", "text/plain; version=0.0.4");
      res.end(`process_resident_memory_bytes ${process.memoryUsage.rss()}\nmini_edge_connections ${stats.connections}\n`);
    } else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, path: "/ws", perMessageDeflate: false });
  const json = (ws: WebSocket, v: unknown) => ws.send(JSON.stringify(v));

  const tooSlow = (ws: WebSocket) => {
    stats.closedTooSlow++;
    ws.close(CloseCode.TooSlow, "too slow");
    setTimeout(() => ws.terminate(), 1000).unref();
  };
  const deliver = (ws: WebSocket, text: string) => {
    const buffered = ws.bufferedAmount;
    if (buffered > stats.maxBufferedBytes) stats.maxBufferedBytes = buffered;
    if (ws.readyState !== ws.OPEN) return;
    if (buffered > maxBuffered) return tooSlow(ws);
    ws.send(text);
    stats.delivered++;
  };

  const publish = () => {
    const ts = Date.now();
    for (const r of rooms.values()) {
      r.seq++;
      const data = r.name.startsWith("ticker.") ? { symbol: r.name.slice(7), price: 100 + (r.seq % 50), exchTs: ts, pad } : { n: r.seq, pad };
      const text = `{"type":"update","room":${JSON.stringify(r.name)},"seq":${r.seq},"ts":${ts},"data":${JSON.stringify(data)}}`;
      r.last = text;
      if (r.stream) {
        r.history.push({ seq: r.seq, text });
        if (r.history.length > historySize) r.history.shift();
      }
      stats.published++;
      if (o.dropEvery && r.seq % o.dropEvery === 0) {
        stats.dropped += r.subs.size;
        continue;
      }
      for (const ws of r.subs) deliver(ws, text);
    }
  };
  const timer = setInterval(publish, 1000 / rate);

  const subscribe = (ws: WebSocket, mine: Set<Room>, name: string, since: number | undefined) => {
    const r = rooms.get(name);
    if (!r) return json(ws, { type: "error", code: ErrorCode.UnknownRoom, message: `unknown room ${name}` });
    stats.subscribes++;
    r.subs.add(ws);
    mine.add(r);
    if (r.stream && since !== undefined) {
      const first = r.history[0];
      if (since >= r.seq) return; // nothing missed
      if (first && first.seq <= since + 1) {
        for (const h of r.history) if (h.seq > since) (ws.send(h.text), stats.replayed++);
        return;
      }
      json(ws, { type: "resync", room: name, reason: "too_old" });
    }
    if (r.last) ws.send(`{"type":"snapshot",${r.last.slice('{"type":"update",'.length)}`);
  };

  wss.on("connection", (ws, req) => {
    stats.connections++;
    sources.add(req.socket.remoteAddress ?? "");
    stats.sourceAddresses = sources.size;
    const mine = new Set<Room>();
    json(ws, {
      type: "hello",
      server: "mini-edge",
      limits: { maxFrameBytes: 4096, maxRooms: 100, msgsPerSecond: 50, burst: 100, idleTimeoutSec: 120, replayWindowMs: 60_000 },
    });
    ws.on("message", (raw) => {
      let msg;
      try {
        msg = ClientMsg.safeParse(JSON.parse(raw.toString()));
      } catch {
        return json(ws, { type: "error", code: ErrorCode.BadJson, message: "not JSON" });
      }
      if (!msg.success) return json(ws, { type: "error", code: ErrorCode.BadRequest, message: msg.error.message });
      const m = msg.data;
      if (m.op === "subscribe") for (const name of m.rooms) subscribe(ws, mine, name, m.since?.[name]);
      else if (m.op === "unsubscribe") {
        for (const name of m.rooms) {
          const r = rooms.get(name);
          if (r && r.subs.delete(ws)) (mine.delete(r), stats.unsubscribes++);
        }
      } else if (m.op === "ping") json(ws, { type: "pong", id: m.id, ts: Date.now() });
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      stats.connections--;
      for (const r of mine) r.subs.delete(ws);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(o.port ?? 0, o.host ?? "127.0.0.1", resolve);
  });
  const { port } = http.address() as AddressInfo;
  const host = o.host ?? "127.0.0.1";
  return {
    url: `ws://${host}:${port}/ws`,
    metricsUrl: `http://${host}:${port}/metrics`,
    publishedUrl: `http://${host}:${port}/published`,
    port,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: a } = parseArgs({ options: { port: { type: "string", default: "0" }, rate: { type: "string", default: "10" }, payload: { type: "string", default: "0" } } });
  const edge = await startMiniEdge({ port: Number(a.port), ratePerRoom: Number(a.rate), payloadBytes: Number(a.payload) });
  process.stdout.write(`${JSON.stringify({ url: edge.url, metricsUrl: edge.metricsUrl, pid: process.pid })}\n`);
  const stop = () => void edge.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
