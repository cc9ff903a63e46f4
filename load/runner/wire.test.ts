/**
 * The lean WebSocket client against real servers: the `ws` package's server (a
 * complete RFC 6455 implementation that can fragment, ping and close) and plain HTTP
 * servers for refused handshakes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import { CLOSED, OPEN, WireSocket, type WireHandlers } from "./wire.ts";

const servers: Array<{ close(cb?: () => void): unknown }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function wsServer(onConn: (ws: ServerSocket, ip: string) => void): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (ws, req) => onConn(ws, req.socket.remoteAddress ?? ""));
  servers.push({ close: (cb) => { for (const c of wss.clients) c.terminate(); wss.close(() => cb?.()); } });
  await new Promise((r) => wss.once("listening", r));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
}

async function httpServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s: Server = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `ws://127.0.0.1:${(s.address() as AddressInfo).port}/ws`;
}

/** A client recording what it got; resolves `closed` with the close event. */
function client(url: string, extra: WireHandlers = {}, opts = {}) {
  const got: Array<{ text: string; binary: boolean }> = [];
  const errors: string[] = [];
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  let onClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const ws = new WireSocket(url, {
    ...extra,
    open: () => { opened(); extra.open?.(); },
    message: (d, binary) => { got.push({ text: d.toString(), binary }); extra.message?.(d, binary); },
    error: (e) => errors.push(e.message),
    close: (code, reason) => onClosed({ code, reason }),
  }, opts);
  return { ws, got, errors, open, closed };
}

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("WireSocket", () => {
  it("sends masked frames of every length class and receives them back intact", async () => {
    const url = await wsServer((ws) => ws.on("message", (d, binary) => ws.send(d, { binary })));
    const c = client(url);
    await c.open;
    expect(c.ws.readyState).toBe(OPEN);
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 300_000];
    for (const n of sizes) c.ws.send("x".repeat(n));
    c.ws.send(new Uint8Array([1, 2, 3]));
    await until(() => c.got.length === sizes.length + 1);
    expect(c.got.slice(0, sizes.length).map((m) => m.text.length)).toEqual(sizes);
    expect(c.got.at(-1)).toEqual({ text: "\u0001\u0002\u0003", binary: true });
    c.ws.close();
    expect(await c.closed).toEqual({ code: 1000, reason: "" });
    expect(c.errors).toEqual([]);
  });

  it("reads many messages from one TCP write, and fragmented messages split across writes", async () => {
    const url = await wsServer((ws) => {
      ws.on("message", () => {
        // cork: 500 small messages in one write
        (ws as unknown as { _socket: import("node:net").Socket })._socket.cork();
        for (let i = 0; i < 500; i++) ws.send(`m${i}`);
        (ws as unknown as { _socket: import("node:net").Socket })._socket.uncork();
        ws.send("frag-a-", { fin: false });
        setTimeout(() => {
          ws.send("frag-b-", { fin: false });
          ws.ping("hi"); // a control frame between fragments
          ws.send("frag-c", { fin: true });
        }, 20);
      });
    });
    const pings: string[] = [];
    const c = client(url, { ping: (p) => void pings.push(p.toString()) });
    await c.open;
    c.ws.send("go");
    await until(() => c.got.length === 501);
    expect(c.got.slice(0, 500).map((m) => m.text)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(c.got[500]!.text).toBe("frag-a-frag-b-frag-c");
    expect(pings).toEqual(["hi"]);
    c.ws.terminate();
    expect((await c.closed).code).toBe(1006);
  });

  it("answers pings with pongs carrying the same payload", async () => {
    const pongs: string[] = [];
    const url = await wsServer((ws) => {
      ws.on("pong", (p) => pongs.push(p.toString()));
      ws.ping("are-you-there");
    });
    const c = client(url);
    await c.open;
    await until(() => pongs.length === 1);
    expect(pongs).toEqual(["are-you-there"]);
    c.ws.close();
    await c.closed;
  });

  it("reports the server's close code and reason, and echoes the close", async () => {
    let serverSaw: number | undefined;
    const url = await wsServer((ws) => {
      ws.on("close", (code) => (serverSaw = code));
      setTimeout(() => ws.close(4001, "too_slow"), 20);
    });
    const c = client(url);
    await c.open;
    expect(await c.closed).toEqual({ code: 4001, reason: "too_slow" });
    expect(c.ws.readyState).toBe(CLOSED);
    await until(() => serverSaw !== undefined);
    expect(serverSaw).toBe(4001);
  });

  it("binds the given source address", async () => {
    let ip = "";
    const url = await wsServer((_ws, remote) => (ip = remote));
    const c = client(url, {}, { localAddress: "127.0.0.7" });
    await c.open;
    await until(() => ip !== "");
    expect(ip).toBe("127.0.0.7");
    c.ws.close();
    await c.closed;
  });

  it("fails the handshake with the server's status line when it does not upgrade", async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(503, { "retry-after": "1" });
      res.end("not ready");
    });
    const c = client(url);
    expect((await c.closed).code).toBe(1006);
    expect(c.errors).toEqual(["handshake refused: HTTP/1.1 503 Service Unavailable"]);
  });

  it("refuses a 101 whose Sec-WebSocket-Accept does not match the key", async () => {
    const s = createServer();
    s.on("upgrade", (_req, sock) => {
      sock.on("end", () => sock.destroy()); // upgraded sockets are half-open by default
      sock.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n");
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const c = client(`ws://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    expect((await c.closed).code).toBe(1006);
    expect(c.errors).toEqual(["handshake failed: bad Sec-WebSocket-Accept"]);
  });

  it("closes with 1009 on a message over maxMessageBytes", async () => {
    const url = await wsServer((ws) => ws.send("y".repeat(2000)));
    const c = client(url, {}, { maxMessageBytes: 1000 });
    expect((await c.closed).code).toBe(1009);
    expect(c.errors).toEqual(["message larger than 1000 bytes"]);
    expect(c.got).toEqual([]);
  });

  it("stops reading while paused, so the server's send buffer fills", async () => {
    let server: ServerSocket | undefined;
    const url = await wsServer((ws) => (server = ws));
    const c = client(url);
    await c.open;
    await until(() => server !== undefined);
    c.ws.pause();
    const chunk = "z".repeat(64 * 1024);
    for (let i = 0; i < 200; i++) server!.send(chunk); // 12.5 MiB, more than the kernel buffers
    await new Promise((r) => setTimeout(r, 200));
    expect(server!.bufferedAmount).toBeGreaterThan(1024 * 1024);
    const before = c.got.length;
    c.ws.resume();
    await until(() => c.got.length === 200, 10_000);
    expect(before).toBeLessThan(200);
    c.ws.terminate();
    await c.closed;
  });
});
