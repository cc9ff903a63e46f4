/**
 * A stand-in edge for the dashboard's browser tests and bench: serves ui/dist (with
 * the precompressed .gz files) and speaks the client protocol on `/ws` with a
 * synthetic market of N symbols updating at 10 Hz, in the exact wire format
 * (encodeRoomUpdate). It records every subscribe/unsubscribe so tests can check
 * which rooms the page holds, and can be stopped and restarted on the same port
 * while the market keeps moving (sequence numbers continue).
 *
 * Standalone: npx tsx ui/test/fake-edge.ts [--port 8090] [--symbols 500] [--hz 10]
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import { encodeRoomUpdate, UPDATE_PREFIX, SNAPSHOT_PREFIX } from "../../lib/contracts/rooms.ts";
import { isStreamRoom, rooms } from "../../lib/contracts/subjects.ts";
import { ClientMsg } from "../../lib/contracts/protocol.ts";
import { MarketSim } from "./market-sim.ts";
import { parseArgs } from "node:util";

export interface FakeEdgeOptions {
  /** 0 = random free port (default). */
  port?: number;
  /** Static files to serve. Default ui/dist. */
  dist?: string;
  symbols?: number;
  hz?: number;
  moversMs?: number;
  topcoinsMs?: number;
  pulseMs?: number;
  alertMs?: number;
  /** Seconds between updates of the current (open) candle. Default 1. */
  candleUpdateMs?: number;
  seed?: number;
}

export interface SubRecord {
  at: number;
  client: number;
  op: "subscribe" | "unsubscribe";
  rooms: string[];
  since?: Record<string, number>;
}

interface Entry { seq: number; ts: number; data: unknown; msg?: string }

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain",
};
const STREAM_LOG_MAX = 400;

export class FakeEdge {
  readonly opts: Required<FakeEdgeOptions>;
  readonly sim: MarketSim;
  readonly log: SubRecord[] = [];
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly clients = new Map<WebSocket, { id: number; rooms: Set<string> }>();
  private readonly subscribers = new Map<string, Set<WebSocket>>();
  private readonly latest = new Map<string, Entry>();
  private readonly streams = new Map<string, Entry[]>();
  private readonly seqs = new Map<string, number>();
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private nextClient = 1;
  private pulseStart = Date.now();
  port = 0;
  /** Frames sent to clients (all rooms). */
  sent = 0;

  constructor(opts: FakeEdgeOptions = {}) {
    this.opts = {
      port: 0, dist: join(import.meta.dirname, "..", "dist"), symbols: 500, hz: 10, moversMs: 1000, topcoinsMs: 2000,
      pulseMs: 5000, alertMs: 2000, candleUpdateMs: 1000, seed: 42, ...opts,
    };
    this.sim = new MarketSim(this.opts.symbols, this.opts.seed);
    this.sim.backfill((c) => this.append(rooms.candles(c.symbol), c.start + 59_999, c));
    this.tick();
    this.publish(rooms.movers, this.sim.movers(Date.now()));
    this.publish(rooms.topcoins, this.sim.topcoins(Date.now()));
    this.publish(rooms.markets, this.sim.markets(Date.now()));
    this.publish(rooms.pulse, this.sim.pulse(this.pulseStart - this.opts.pulseMs, this.pulseStart));
    for (let i = 0; i < 5; i++) this.append(rooms.alerts, Date.now(), this.sim.alert(Date.now() - (5 - i) * 1000));
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms));
    every(1000 / this.opts.hz, () => this.tick());
    every(this.opts.moversMs, () => this.publish(rooms.movers, this.sim.movers(Date.now())));
    every(this.opts.topcoinsMs, () => this.publish(rooms.topcoins, this.sim.topcoins(Date.now())));
    every(60_000, () => this.publish(rooms.markets, this.sim.markets(Date.now())));
    every(this.opts.pulseMs, () => {
      const now = Date.now();
      this.publish(rooms.pulse, this.sim.pulse(this.pulseStart, now));
      this.pulseStart = now;
    });
    every(this.opts.alertMs, () => this.append(rooms.alerts, Date.now(), this.sim.alert(Date.now())));
    every(this.opts.candleUpdateMs, () => {
      for (const room of this.subscribers.keys()) {
        if (!room.startsWith("candles.")) continue;
        const c = this.sim.current(room.split(".")[1] + "");
        if (c && !c.empty) this.append(room, Date.now(), { ...c });
      }
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Rooms held by at least one connected client right now. */
  subscriptions(): Set<string> {
    return new Set([...this.subscribers].filter(([, s]) => s.size > 0).map(([r]) => r));
  }

  clientCount(): number {
    return this.clients.size;
  }

  /** Start serving (again, on the same port after stop()). Resolves with the port. */
  async start(): Promise<number> {
    if (this.http) return this.port;
    const http = createServer((req, res) => this.serve(req, res));
    const wss = new WebSocketServer({ server: http, path: "/ws" });
    wss.on("connection", (ws) => this.connected(ws));
    await new Promise<void>((ok, fail) => {
      http.once("error", fail);
      http.listen(this.port || this.opts.port, "127.0.0.1", () => ok());
    });
    this.port = (http.address() as { port: number }).port;
    this.http = http;
    this.wss = wss;
    return this.port;
  }

  /** Stop serving: every socket is cut (as when an edge dies); the market keeps moving. */
  async stop(): Promise<void> {
    const { http, wss } = this;
    this.http = this.wss = undefined;
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
    this.subscribers.clear();
    if (wss) await new Promise<void>((ok) => wss.close(() => ok()));
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
    }
  }

  /** Stop serving and stop the market. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.stop();
  }

  private nextSeq(room: string): number {
    const s = (this.seqs.get(room) ?? 0) + 1;
    this.seqs.set(room, s);
    return s;
  }

  private tick(): void {
    const now = Date.now();
    const { tickers, closed } = this.sim.step(now);
    for (const t of tickers) this.publish(rooms.ticker(t.symbol), t, now);
    this.publish(rooms.tickerAll, { tickers }, now);
    for (const c of closed) this.append(rooms.candles(c.symbol), now, c);
  }

  /** Snapshot room: keep only the latest; encode only if someone listens. */
  private publish(room: string, data: unknown, ts = Date.now()): void {
    const e: Entry = { seq: this.nextSeq(room), ts, data };
    this.latest.set(room, e);
    this.fanout(room, e);
  }

  /** Stream room: keep a window of messages for replay. */
  private append(room: string, ts: number, data: unknown): void {
    const e: Entry = { seq: this.nextSeq(room), ts, data };
    let log = this.streams.get(room);
    if (!log) this.streams.set(room, (log = []));
    log.push(e);
    if (log.length > STREAM_LOG_MAX) log.splice(0, log.length - STREAM_LOG_MAX);
    this.latest.set(room, e);
    this.fanout(room, e);
  }

  private encoded(room: string, e: Entry): string {
    return (e.msg ??= encodeRoomUpdate(room, e.seq, e.ts, e.data));
  }

  private fanout(room: string, e: Entry): void {
    const subs = this.subscribers.get(room);
    if (!subs || subs.size === 0) return;
    const msg = this.encoded(room, e);
    for (const ws of subs) {
      // A real edge drops snapshot-room updates for a slow socket; do the same.
      if (ws.bufferedAmount > 8 * 2 ** 20 && !isStreamRoom(room)) continue;
      ws.send(msg);
      this.sent++;
    }
  }

  private connected(ws: WebSocket): void {
    const client = { id: this.nextClient++, rooms: new Set<string>() };
    this.clients.set(ws, client);
    ws.send(JSON.stringify({ type: "hello", server: "fake-edge", limits: {
      maxFrameBytes: 65536, maxRooms: 200, msgsPerSecond: 20, burst: 40, idleTimeoutSec: 120, replayWindowMs: 3_600_000 } }));
    ws.on("message", (raw, isBinary) => {
      if (isBinary) return this.error(ws, "binary_not_supported", "text frames only");
      let msg: ClientMsg;
      try {
        msg = ClientMsg.parse(JSON.parse(raw.toString()));
      } catch (e) {
        return this.error(ws, "bad_request", String(e).slice(0, 200));
      }
      this.handle(ws, client, msg);
    });
    ws.on("close", () => {
      for (const r of client.rooms) this.subscribers.get(r)?.delete(ws);
      this.clients.delete(ws);
    });
  }

  private error(ws: WebSocket, code: string, message: string): void {
    ws.send(JSON.stringify({ type: "error", code, message }));
  }

  private known(room: string): boolean {
    return this.latest.has(room) || this.streams.has(room) || room === rooms.alerts;
  }

  private handle(ws: WebSocket, client: { id: number; rooms: Set<string> }, msg: ClientMsg): void {
    switch (msg.op) {
      case "ping":
        ws.send(JSON.stringify({ type: "pong", id: msg.id, ts: Date.now() }));
        return;
      case "refresh": {
        const e = this.latest.get(msg.room);
        if (e) ws.send(SNAPSHOT_PREFIX + this.encoded(msg.room, e).slice(UPDATE_PREFIX.length));
        return;
      }
      case "unsubscribe":
        this.log.push({ at: Date.now(), client: client.id, op: "unsubscribe", rooms: msg.rooms });
        for (const r of msg.rooms) {
          client.rooms.delete(r);
          this.subscribers.get(r)?.delete(ws);
        }
        return;
      case "subscribe":
        this.log.push({ at: Date.now(), client: client.id, op: "subscribe", rooms: msg.rooms, since: msg.since });
        for (const r of msg.rooms) {
          if (!this.known(r)) { this.error(ws, "unknown_room", `no room ${r}`); continue; }
          client.rooms.add(r);
          let subs = this.subscribers.get(r);
          if (!subs) this.subscribers.set(r, (subs = new Set()));
          subs.add(ws);
          const since = msg.since?.[r];
          if (isStreamRoom(r) && since !== undefined) {
            for (const e of this.streams.get(r) ?? []) if (e.seq > since) ws.send(this.encoded(r, e));
          } else {
            const e = this.latest.get(r);
            if (e) ws.send(SNAPSHOT_PREFIX + this.encoded(r, e).slice(UPDATE_PREFIX.length));
          }
        }
        return;
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/__fake/state") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ clients: this.clients.size, subscriptions: [...this.subscriptions()], log: this.log.length }));
      return;
    }
    const root = resolve(this.opts.dist);
    let file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, "index.html");
    if (!existsSync(file)) { res.writeHead(404).end("build the UI first: npm run build:ui"); return; }
    const headers: Record<string, string> = {
      "content-type": MIME[extname(file)] ?? "application/octet-stream",
      "cache-control": file.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    };
    const gz = `${file}.gz`;
    let body = readFileSync(file);
    if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) && existsSync(gz)) {
      body = readFileSync(gz);
      headers["content-encoding"] = "gzip";
      headers["vary"] = "accept-encoding";
    }
    res.writeHead(200, headers).end(body);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: a } = parseArgs({ options: { port: { type: "string", default: "0" }, symbols: { type: "string", default: "500" }, hz: { type: "string", default: "10" } } });
  const edge = new FakeEdge({ port: Number(a.port), symbols: Number(a.symbols), hz: Number(a.hz) });
  const port = await edge.start();
  console.log(`fake edge on http://127.0.0.1:${port} (ws /ws)`);
  const bye = () => void edge.close().then(() => process.exit(0));
  process.on("SIGTERM", bye);
  process.on("SIGINT", bye);
}
