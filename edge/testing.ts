/**
 * Test helpers for the edge: a WebSocket client that records frames and close codes,
 * and a publisher of room messages through JetStream (so they land in ROOMS/ROOMLOG
 * exactly as a producer's would).
 */
import { headers, type NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient } from "@nats-io/jetstream";
import WebSocket from "ws";
import { encodeRoomUpdate, ROOM_SEQ_HEADER } from "../lib/contracts/rooms.ts";
import { msgIds } from "../lib/platform/streams.ts";
import { subjects } from "../lib/contracts/subjects.ts";

export interface Frame {
  type: string;
  room?: string;
  seq?: number;
  ts?: number;
  code?: string;
  reason?: string;
  data?: unknown;
  [k: string]: unknown;
}

export class TestClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? "" : data.toString();
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        this.frames.push({ type: "unparseable", text });
      }
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on("error", () => { /* close follows */ });
  }

  static open(url: string, opts: WebSocket.ClientOptions = {}): TestClient {
    return new TestClient(new WebSocket(url, { perMessageDeflate: false, ...opts }));
  }

  /** Connect and wait for the hello frame (rejects if closed first). */
  static async connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const c = TestClient.open(url, opts);
    await c.waitFor((f) => f.type === "hello");
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: unknown): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(typeof msg === "string" || msg instanceof Uint8Array ? msg : JSON.stringify(msg));
  }

  /** Resolves when `cond()` holds; rejects after `timeoutMs`. */
  async until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(-5))}; closed: ${JSON.stringify(this.closed)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** The first frame matching `pred` (waits for it). */
  async waitFor(pred: (f: Frame) => boolean, timeoutMs = 8000): Promise<Frame> {
    let found: Frame | undefined;
    await this.until(() => {
      found = this.frames.find(pred);
      if (!found && this.closed) throw new Error(`closed (${this.closed.code}) before the expected frame; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      return found !== undefined;
    }, "a frame", timeoutMs);
    return found!;
  }

  async waitClose(timeoutMs = 8000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== undefined, "close", timeoutMs);
    return this.closed!;
  }

  /** Frames of one room, optionally of one type. */
  room(room: string, type?: string): Frame[] {
    return this.frames.filter((f) => f.room === room && (type === undefined || f.type === type));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** Publish one room update through JetStream (stored in ROOMS or ROOMLOG) with the seq header. */
export async function publishRoom(js: JetStreamClient, room: string, seq: number, data: unknown, ts = Date.now()): Promise<void> {
  const h = headers();
  h.set(ROOM_SEQ_HEADER, String(seq));
  await js.publish(subjects.room(room), encodeRoomUpdate(room, seq, ts, data), { msgID: msgIds.room(room, seq), headers: h });
}

/** Publish one room update with core NATS (not acknowledged; the streams still capture it). */
export function publishRoomCore(nc: NatsConnection, room: string, seq: number, data: unknown, ts = Date.now()): void {
  nc.publish(subjects.room(room), encodeRoomUpdate(room, seq, ts, data));
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface UpgradeOutcome {
  /** 101 when upgraded, otherwise the refusal's HTTP status. */
  status: number;
  /** Response body of a refusal (the reason), "" on 101. */
  body: string;
  /** The upgraded socket (101 only); destroy it to disconnect. */
  socket?: import("node:net").Socket;
}

/**
 * One raw WebSocket upgrade request (node:http), for tests that count accepted and
 * refused upgrades by HTTP status without a WebSocket library hiding the refusal.
 */
export async function upgrade(
  url: string,
  o: { headers?: Record<string, string>; localAddress?: string; timeoutMs?: number } = {},
): Promise<UpgradeOutcome> {
  const { request } = await import("node:http");
  const u = new URL(url.replace(/^ws/, "http"));
  return await new Promise<UpgradeOutcome>((resolve, reject) => {
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      agent: false,
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64"),
        ...o.headers,
      },
    });
    req.setTimeout(o.timeoutMs ?? 20_000, () => req.destroy(new Error(`upgrade to ${url} timed out`)));
    req.on("upgrade", (res, socket) => {
      socket.on("error", () => {});
      resolve({ status: res.statusCode ?? 0, body: "", socket });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on("error", reject);
    req.end();
  });
}
