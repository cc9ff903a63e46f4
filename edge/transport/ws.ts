/**
 * The `ws` transport: node:http plus the `ws` package, for runtimes where uWS cannot
 * load (Deno, Node versions without a uWS binary). Same behaviour as the uWS adapter:
 * topics, publishes that skip sockets over the backpressure limit, idle timeout with
 * pings, close codes. Slower, but the protocol suite runs on both.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  type Conn,
  type RefusalStatus,
  SendResult,
  type Transport,
  type TransportOptions,
  type UpgradeInfo,
} from "../core/transport.ts";

const TEXT = { binary: false } as const;

/** A streamed body: waits for 'drain' when the socket is backed up; a gone client stops the producer. */
async function streamReply(res: ServerResponse, body: AsyncIterable<string>): Promise<void> {
  const it = body[Symbol.asyncIterator]();
  let gone = false;
  res.once("close", () => {
    gone = true;
    void it.return?.();
  });
  try {
    for (;;) {
      const n = await it.next();
      if (gone) return;
      if (n.done) break;
      if (!res.write(n.value)) await new Promise<void>((r) => { res.once("drain", r); res.once("close", r); });
    }
    res.end();
  } catch {
    res.destroy();
  }
}
/** How long a closing socket may take to finish the close handshake before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

class WsConn implements Conn {
  closed = false;
  alive = true;
  readonly topics = new Set<string>();
  constructor(
    readonly ws: WebSocket,
    private readonly maxBackpressure: number,
    private readonly topicsIndex: Map<string, Set<WsConn>>,
  ) {}
  send(frame: Uint8Array | string): SendResult {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return SendResult.Dropped;
    if (this.ws.bufferedAmount > this.maxBackpressure) return SendResult.Dropped;
    this.ws.send(frame, TEXT);
    return this.ws.bufferedAmount > 0 ? SendResult.Backpressure : SendResult.Ok;
  }
  cork(fn: () => void): void {
    fn();
  }
  subscribe(topic: string): void {
    if (this.closed || this.topics.has(topic)) return;
    this.topics.add(topic);
    let set = this.topicsIndex.get(topic);
    if (!set) this.topicsIndex.set(topic, (set = new Set()));
    set.add(this);
  }
  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return;
    const set = this.topicsIndex.get(topic);
    set?.delete(this);
    if (set?.size === 0) this.topicsIndex.delete(topic);
  }
  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.bufferedAmount;
  }
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
  dropTopics(): void {
    for (const t of [...this.topics]) this.unsubscribe(t);
  }
}

export async function startWsTransport<S>(opts: TransportOptions<S>): Promise<Transport> {
  const topics = new Map<string, Set<WsConn>>();
  const conns = new Set<WsConn>();
  let skipped = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.hardMaxPayload, perMessageDeflate: false });
  const server = createServer((req, res) => {
    try {
      const method = (req.method ?? "GET").toUpperCase();
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const reply = opts.http({
        method,
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? "" : url.slice(q + 1),
        header: (n) => headerOf(req, n),
      });
      res.writeHead(reply.status, reply.headers);
      if (reply.stream && method !== "HEAD") return void streamReply(res, reply.stream);
      res.end(method === "HEAD" ? undefined : reply.body);
    } catch {
      res.writeHead(500).end();
    }
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "/").split("?")[0];
    if (path !== opts.wsPath) return reply(socket, "404 Not Found");
    const request = {
      peer: req.socket.remoteAddress ?? "",
      origin: headerOf(req, "origin"),
      host: headerOf(req, "host"),
      xForwardedFor: headerOf(req, "x-forwarded-for"),
      forwarded: headerOf(req, "forwarded"),
    };
    void Promise.resolve(opts.sockets.admit(request)).then((a) => {
      if (!a.ok) return reply(socket, `${a.status} ${STATUS_TEXT[a.status]}`, a.reason);
      if (socket.destroyed) return opts.sockets.abandon(a.ip);
      upgrade(req, socket, head, { ip: a.ip, origin: request.origin, host: request.host });
    });
  });

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, info: UpgradeInfo) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConn(ws, opts.maxBackpressure, topics);
      conns.add(conn);
      const state = opts.sockets.open(conn, info);
      ws.on("message", (data, isBinary) => {
        conn.alive = true;
        const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        opts.sockets.message(state, buf, isBinary);
      });
      ws.on("pong", () => {
        conn.alive = true;
      });
      ws.on("error", () => ws.terminate());
      ws.on("close", (code) => {
        conn.closed = true;
        conn.dropTopics();
        conns.delete(conn);
        opts.sockets.close(state, code);
      });
    });
  };

  // Idle timeout with pings, as uWS does: a socket silent for a whole period is dropped.
  const idle = opts.idleTimeoutMs > 0
    ? setInterval(() => {
      for (const c of conns) {
        if (!c.alive) c.ws.terminate();
        else {
          c.alive = false;
          c.ws.ping();
        }
      }
    }, opts.idleTimeoutMs / 2)
    : undefined;
  idle?.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;

  return {
    build: "ws",
    port,
    publish: (topic, bytes) => {
      const set = topics.get(topic);
      if (!set) return;
      for (const c of set) {
        if (c.ws.bufferedAmount > opts.maxBackpressure) skipped++;
        else c.ws.send(bytes, TEXT);
      }
    },
    skipped: () => skipped,
    stopListening: () => {
      server.close();
    },
    close: async () => {
      if (idle) clearInterval(idle);
      for (const c of conns) c.ws.terminate();
      wss.close();
      server.close();
      server.closeAllConnections();
    },
  };
}

function headerOf(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v ?? "";
}

const STATUS_TEXT: Record<RefusalStatus, string> = { 403: "Forbidden", 429: "Too Many Requests", 503: "Service Unavailable" };

function reply(socket: Duplex, status: string, body = ""): void {
  const text = body ? `${body}\n` : "";
  const retry = status.startsWith("403") || status.startsWith("404") ? "" : "Retry-After: 1\r\n";
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n${retry}Content-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`,
  );
}
