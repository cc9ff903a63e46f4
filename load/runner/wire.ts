/**
 * A lean RFC 6455 WebSocket client for load generation, on node:net / node:tls.
 *
 * Why not `ws`: at 50,000 sockets on two cores the load generator shares the CPU with
 * the servers it measures, and `ws` spends several microseconds per received message
 * (a Writable stream per socket, an event per message, a copy per fragment). Here one
 * TCP read is one loop over the frames it holds: a message is handed over as a view
 * into the read buffer (copied only when a frame spans reads), so a bulk socket that
 * only counts frames costs almost nothing per message.
 *
 * Client side only, no extensions (permessage-deflate is not offered). Frames sent are
 * masked as the RFC requires; server frames must not be. Pings are answered with pongs,
 * a close frame from the server is echoed, and a closing handshake the server does not
 * finish within `closeTimeoutMs` ends the TCP connection.
 */
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HEADER_BYTES = 16 * 1024;

export interface WireHandlers {
  open?(): void;
  /**
   * A complete message. `data` is a view into the read buffer, valid only during the
   * call: copy it (or decode it) to keep it.
   */
  message?(data: Buffer, isBinary: boolean): void;
  ping?(payload: Buffer): void;
  pong?(payload: Buffer): void;
  /** Once, when the TCP connection is gone. 1006 when no close frame was received. */
  close?(code: number, reason: string): void;
  /** A failure (handshake refused, protocol violation, socket error); `close` follows. */
  error?(err: Error): void;
}

export interface WireOptions {
  /** Source address to bind (e.g. one of 127.0.0.x, to spread ephemeral ports). */
  localAddress?: string;
  headers?: Record<string, string>;
  protocols?: string | string[];
  handshakeTimeoutMs?: number;
  closeTimeoutMs?: number;
  /** Largest message accepted from the server (default 64 MiB); larger closes with 1009. */
  maxMessageBytes?: number;
}

export class WireError extends Error {
  override name = "WireError";
}

/** Every plain socket of this process reads into this buffer, one read at a time. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

// Mask keys come from a pooled random buffer: one syscall per 1,024 frames.
let maskPool = Buffer.alloc(0);
let maskAt = 0;
function maskKey(): Buffer {
  if (maskAt + 4 > maskPool.length) {
    maskPool = randomFillSync(Buffer.allocUnsafe(4096));
    maskAt = 0;
  }
  const k = maskPool.subarray(maskAt, maskAt + 4);
  maskAt += 4;
  return k;
}

/** One client frame (FIN set, masked). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  const key = maskKey();
  key.copy(out, head);
  const body = head + 4;
  for (let i = 0; i < n; i++) out[body + i] = payload[i]! ^ key[i & 3]!;
  return out;
}

export class WireSocket {
  readyState = CONNECTING;
  readonly url: URL;
  private readonly sock: Socket;
  private readonly key = randomBytes(16).toString("base64");
  private readonly maxMessage: number;
  private readonly closeTimeoutMs: number;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Bytes read but not yet consumed (a frame or header spanning reads). */
  private rest: Buffer[] = [];
  private restBytes = 0;
  /** Fragments of a message not finished yet. */
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentBinary = false;
  private closeCode = 1006;
  private closeReason = "";
  private closeSent = false;
  private ended = false;

  constructor(url: string | URL, private readonly h: WireHandlers, o: WireOptions = {}) {
    this.url = new URL(url);
    const secure = this.url.protocol === "wss:";
    if (!secure && this.url.protocol !== "ws:") throw new WireError(`unsupported URL scheme ${this.url.protocol} (ws: or wss:)`);
    this.maxMessage = o.maxMessageBytes ?? 64 * 2 ** 20;
    this.closeTimeoutMs = o.closeTimeoutMs ?? 5_000;
    const host = this.url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(this.url.port || (secure ? 443 : 80));
    const common = { host, port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) };
    // Plain TCP reads straight into one shared buffer (no stream machinery, no
    // allocation per read); TLS sockets cannot, and use 'data' events.
    this.sock = secure
      ? tlsConnect({ ...common, servername: host })
      : netConnect({ ...common, onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => {
        this.onBytes(buf as Buffer, n);
        return true; // false would pause the socket
      } } });
    if (secure) this.sock.on("data", (chunk: Buffer) => this.onBytes(chunk, chunk.length));
    this.sock.setNoDelay(true);
    this.sock.once(secure ? "secureConnect" : "connect", () => this.sock.write(this.request(o)));
    this.sock.on("error", (e) => this.fail(e));
    this.sock.on("close", () => this.finish());
    this.handshakeTimer = setTimeout(() => this.fail(new WireError(`handshake not done within ${o.handshakeTimeoutMs ?? 30_000} ms`)), o.handshakeTimeoutMs ?? 30_000);
  }

  /** Bytes queued in the TCP socket, not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.sock.writableLength;
  }

  send(data: string | Uint8Array, binary = typeof data !== "string"): void {
    if (this.readyState !== OPEN) throw new WireError("send(): the socket is not open");
    const payload = typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.sock.write(encodeFrame(binary ? 0x2 : 0x1, payload));
  }

  ping(payload: Uint8Array = Buffer.alloc(0)): void {
    if (this.readyState === OPEN) this.sock.write(encodeFrame(0x9, Buffer.from(payload)));
  }

  /** Start the closing handshake (or abort a connection still connecting). */
  close(code = 1000, reason = ""): void {
    if (this.readyState === CONNECTING) return this.terminate();
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    this.sendClose(code, reason);
    this.closeTimer = setTimeout(() => this.sock.destroy(), this.closeTimeoutMs);
  }

  /** Drop the TCP connection at once. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.sock.destroy();
  }

  /** Stop reading: the kernel's buffers fill and the server sees a slow consumer. */
  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  // ------------------------------------------------------------------ handshake

  private request(o: WireOptions): string {
    const path = (this.url.pathname || "/") + this.url.search;
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${this.url.host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${this.key}`,
      "Sec-WebSocket-Version: 13",
    ];
    const protocols = o.protocols === undefined ? [] : Array.isArray(o.protocols) ? o.protocols : [o.protocols];
    if (protocols.length) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
    for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(`${k}: ${v}`);
    return lines.join("\r\n") + "\r\n\r\n";
  }

  /** Bytes read; `buf` may be the shared read buffer, so whatever is kept is copied. */
  private onBytes(buf: Buffer, n: number): void {
    const chunk = n === buf.length ? buf : buf.subarray(0, n);
    if (this.readyState === CONNECTING) this.onHandshakeData(chunk);
    else if (this.readyState !== CLOSED) this.onData(chunk);
  }

  private onHandshakeData(chunk: Buffer): void {
    this.keep(chunk);
    const all = this.take(this.restBytes);
    const end = all.indexOf("\r\n\r\n");
    if (end < 0) {
      if (all.length > MAX_HEADER_BYTES) return this.fail(new WireError("handshake response headers too large"));
      this.keep(all);
      return;
    }
    const head = all.toString("latin1", 0, end).split("\r\n");
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? "");
    if (!status || status[1] !== "101") {
      return this.fail(new WireError(`handshake refused: ${head[0] ?? "no status line"}`));
    }
    const accept = head.find((l) => /^sec-websocket-accept:/i.test(l))?.slice("sec-websocket-accept:".length).trim();
    const want = createHash("sha1").update(this.key + GUID).digest("base64");
    if (accept !== want) return this.fail(new WireError("handshake failed: bad Sec-WebSocket-Accept"));
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.readyState = OPEN;
    this.h.open?.();
    if (all.length > end + 4 && this.readyState !== CLOSED) this.onData(all.subarray(end + 4));
  }

  // ------------------------------------------------------------------ frames

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.restBytes > 0) {
      this.keep(chunk);
      if (this.restBytes < this.needed()) return;
      buf = this.take(this.restBytes);
    }
    let at = 0;
    const len = buf.length;
    while (at < len && !this.ended) {
      if (len - at < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      if (b1 & 0x80) return this.protocolError("server frames must not be masked");
      if (b0 & 0x70) return this.protocolError("reserved bits set (no extension was negotiated)");
      let size = b1 & 0x7f;
      let head = 2;
      if (size === 126) {
        if (len - at < 4) break;
        size = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (size === 127) {
        if (len - at < 10) break;
        const big = buf.readBigUInt64BE(at + 2);
        if (big > BigInt(this.maxMessage)) return this.tooBig();
        size = Number(big);
        head = 10;
      }
      if (size > this.maxMessage) return this.tooBig();
      if (len - at < head + size) break;
      this.frame(b0, buf.subarray(at + head, at + head + size));
      at += head + size;
    }
    if (at < len && !this.ended) this.keep(buf.subarray(at));
  }

  /** Bytes the kept remainder must reach before its first frame is complete. */
  private needed(): number {
    if (this.restBytes < 2) return 2;
    const first = this.rest[0]!;
    const hdr = first.length >= 10 || this.rest.length === 1 ? first : Buffer.concat(this.rest, Math.min(10, this.restBytes));
    const size = hdr[1]! & 0x7f;
    if (size < 126) return 2 + size;
    if (size === 126) return hdr.length < 4 ? 4 : 4 + hdr.readUInt16BE(2);
    if (hdr.length < 10) return 10;
    const big = hdr.readBigUInt64BE(2);
    // Too large: hand it to the parser at once, which refuses it.
    return big > BigInt(this.maxMessage) ? 10 : 10 + Number(big);
  }

  private frame(b0: number, payload: Buffer): void {
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125) return this.protocolError("bad control frame");
      if (opcode === 0x8) return this.onClose(payload);
      if (opcode === 0x9) {
        this.sock.write(encodeFrame(0xa, payload));
        this.h.ping?.(payload);
      } else if (opcode === 0xa) this.h.pong?.(payload);
      else this.protocolError(`unknown control opcode ${opcode}`);
      return;
    }
    if (this.readyState !== OPEN) return; // data after we started closing is dropped
    if (opcode === 0x0) {
      if (this.fragments.length === 0) return this.protocolError("continuation without a first fragment");
      this.fragmentBytes += payload.length;
      if (this.fragmentBytes > this.maxMessage) return this.tooBig();
      this.fragments.push(Buffer.from(payload)); // the read buffer is reused: copy
      if (fin) {
        const whole = Buffer.concat(this.fragments, this.fragmentBytes);
        const binary = this.fragmentBinary;
        this.fragments = [];
        this.fragmentBytes = 0;
        this.h.message?.(whole, binary);
      }
      return;
    }
    if (opcode !== 0x1 && opcode !== 0x2) return this.protocolError(`unknown opcode ${opcode}`);
    if (this.fragments.length > 0) return this.protocolError("new message inside a fragmented one");
    if (fin) return this.h.message?.(payload, opcode === 0x2);
    this.fragmentBinary = opcode === 0x2;
    this.fragments.push(Buffer.from(payload));
    this.fragmentBytes = payload.length;
  }

  private onClose(payload: Buffer): void {
    this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    this.closeReason = payload.length > 2 ? payload.toString("utf8", 2) : "";
    if (this.readyState === OPEN) {
      this.readyState = CLOSING;
      this.sendClose(payload.length >= 2 ? this.closeCode : 1000, "");
    }
    // Both close frames are out: the server ends the TCP connection; do it too.
    this.sock.end();
    this.closeTimer ??= setTimeout(() => this.sock.destroy(), this.closeTimeoutMs);
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const r = Buffer.from(reason);
    const p = Buffer.allocUnsafe(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.sock.write(encodeFrame(0x8, p));
  }

  private protocolError(why: string): void {
    this.h.error?.(new WireError(`protocol error: ${why}`));
    this.closeCode = 1002;
    this.abort(1002, "protocol error");
  }

  private tooBig(): void {
    this.h.error?.(new WireError(`message larger than ${this.maxMessage} bytes`));
    this.closeCode = 1009;
    this.abort(1009, "message too big");
  }

  private abort(code: number, reason: string): void {
    if (this.readyState === OPEN) this.sendClose(code, reason);
    this.readyState = CLOSING;
    this.ended = true;
    this.sock.end();
    this.closeTimer ??= setTimeout(() => this.sock.destroy(), this.closeTimeoutMs);
  }

  // ------------------------------------------------------------------ plumbing

  private keep(b: Buffer): void {
    this.rest.push(Buffer.from(b)); // a copy: the read buffer is reused by the next read
    this.restBytes += b.length;
  }

  private take(n: number): Buffer {
    const out = this.rest.length === 1 ? this.rest[0]! : Buffer.concat(this.rest, n);
    this.rest = [];
    this.restBytes = 0;
    return out;
  }

  private fail(e: Error): void {
    if (this.readyState === CLOSED) return;
    this.h.error?.(e);
    this.readyState = CLOSING;
    this.sock.destroy();
  }

  private finish(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.ended = true;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    this.h.close?.(this.closeCode, this.closeReason);
  }
}
