/**
 * `k6/websockets`: the browser-like WebSocket of k6, on top of the runner's lean
 * RFC 6455 client (../wire.ts; `ws` cost several µs per message, which at 50,000
 * sockets on two cores is the load generator's whole budget).
 *
 * Kept cheap per message (the runner holds up to 15,000 sockets per process): one
 * Buffer→string conversion, one event object, plain-number counters that are added to
 * the k6 metrics ws_msgs_received / data_received once per flush. Compression
 * (permessage-deflate) is not implemented: asking for it fails the connection.
 *
 * Runner-only extensions (feature-detect them; real k6 has no equivalent):
 * - `pauseReading()` stops reading the TCP socket, so the kernel buffers fill and the
 *   server sees a genuinely slow consumer; `resumeReading()` undoes it.
 */
import { CLOSED, CONNECTING, OPEN, WireSocket } from "../wire.ts";
import { instance, sourceAddressFor } from "../instance.ts";
import { registry } from "../registry.ts";
import { guarded, requireCtx, type Handle, type IterationCtx } from "../vu.ts";

registry.define("ws_sessions", "counter");
registry.define("ws_connecting", "trend", "time");
registry.define("ws_session_duration", "trend", "time");
registry.define("ws_msgs_received", "counter");
registry.define("ws_msgs_sent", "counter");
registry.define("data_received", "counter", "data");
registry.define("data_sent", "counter", "data");

/** Hot-path counters, added to the registry once per flush. */
export const wsCounters = { msgsIn: 0, bytesIn: 0, msgsOut: 0, bytesOut: 0 };
registry.beforeFlush.push(() => {
  if (wsCounters.msgsIn) registry.add("ws_msgs_received", wsCounters.msgsIn);
  if (wsCounters.bytesIn) registry.add("data_received", wsCounters.bytesIn);
  if (wsCounters.msgsOut) registry.add("ws_msgs_sent", wsCounters.msgsOut);
  if (wsCounters.bytesOut) registry.add("data_sent", wsCounters.bytesOut);
  wsCounters.msgsIn = wsCounters.bytesIn = wsCounters.msgsOut = wsCounters.bytesOut = 0;
});

type EventName = "open" | "close" | "error" | "message" | "ping" | "pong";
type Listener = (ev: Record<string, unknown>) => void;
type Params = { headers?: Record<string, string>; compression?: string; tags?: Record<string, unknown> };

export class WebSocket implements Handle {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readonly url: string;
  binaryType: "blob" | "arraybuffer" = "blob";
  onopen: Listener | null = null;
  onmessage: Listener | null = null;
  onclose: Listener | null = null;
  onerror: Listener | null = null;
  onping: Listener | null = null;
  onpong: Listener | null = null;

  private ws: WireSocket | undefined;
  private ctx: IterationCtx;
  private listeners: Partial<Record<EventName, Listener[]>> = {};
  private opened = false;
  private closedEmitted = false;
  private paused = false;
  private startedAt = performance.now();
  private openedAt = 0;

  constructor(url: string, protocols?: string | string[] | null, params?: Params | null) {
    this.ctx = requireCtx("new WebSocket()");
    this.url = String(url);
    this.ctx.hold(this);
    if (instance.openSockets + instance.connectingSockets >= instance.maxSockets) {
      // Refuse rather than hit the process's open-file limit (20,000 here).
      setImmediate(() => this.failEarly(`runner: this process already holds ${instance.maxSockets} sockets (raise --workers)`));
      return;
    }
    if (params?.compression) {
      setImmediate(() => this.failEarly(`runner: compression "${params.compression}" is not supported (the runner's WebSocket offers none)`));
      return;
    }
    const localAddress = sourceAddressFor(this.url);
    let ws: WireSocket;
    try {
      ws = new WireSocket(this.url, {
        open: () => {
          instance.connectingSockets--;
          instance.openSockets++;
          this.opened = true;
          this.openedAt = performance.now();
          registry.add("ws_sessions", 1);
          registry.add("ws_connecting", this.openedAt - this.startedAt);
          this.emit("open", { type: "open", timestamp: Date.now() });
        },
        message: (buf, isBinary) => {
          wsCounters.msgsIn++;
          wsCounters.bytesIn += buf.length;
          if (!this.onmessage && !this.listeners.message) return;
          this.emit("message", { type: "message", data: isBinary ? this.binary(buf) : buf.toString(), timestamp: Date.now() });
        },
        ping: () => this.emit("ping", { type: "ping", timestamp: Date.now() }),
        pong: () => this.emit("pong", { type: "pong", timestamp: Date.now() }),
        error: (err) => this.emit("error", { type: "error", error: err.message, timestamp: Date.now() }),
        close: (code, reason) => {
          if (this.opened) {
            instance.openSockets--;
            registry.add("ws_session_duration", performance.now() - this.openedAt);
          } else instance.connectingSockets--;
          if (this.paused) instance.pausedSockets--;
          this.paused = false;
          this.emitClose(code, reason);
        },
      }, {
        ...(params?.headers ? { headers: params.headers } : {}),
        ...(protocols ? { protocols } : {}),
        ...(localAddress !== undefined ? { localAddress } : {}),
        handshakeTimeoutMs: 60_000,
      });
    } catch (e) {
      setImmediate(() => this.failEarly((e as Error).message));
      return;
    }
    this.ws = ws;
    instance.connectingSockets++;
  }

  get readyState(): number {
    return this.ws ? this.ws.readyState : WebSocket.CLOSED;
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  addEventListener(event: EventName, listener: Listener): void {
    (this.listeners[event] ??= []).push(listener);
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) throw new Error("WebSocket.send(): the socket is not open");
    if (data instanceof Blob) {
      void data.arrayBuffer().then((ab) => this.send(ab));
      return;
    }
    const bytes = typeof data === "string" ? data
      : data instanceof ArrayBuffer ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    wsCounters.msgsOut++;
    wsCounters.bytesOut += typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.byteLength;
    ws.send(bytes);
  }

  ping(): void {
    this.ws?.ping();
  }

  close(code?: number, reason?: string): void {
    const ws = this.ws;
    if (!ws) return;
    // A paused socket could never read the server's close frame.
    if (this.paused) this.resumeReading();
    if (ws.readyState === CONNECTING) ws.terminate();
    else ws.close(code ?? 1000, reason);
  }

  /** Runner extension: stop reading from the TCP socket (a genuinely slow consumer). */
  pauseReading(): void {
    if (!this.ws || this.paused || this.ws.readyState === CLOSED) return;
    this.paused = true;
    instance.pausedSockets++;
    this.ws.pause();
  }

  /** Runner extension: undo pauseReading(). */
  resumeReading(): void {
    if (!this.ws || !this.paused) return;
    this.paused = false;
    instance.pausedSockets--;
    this.ws.resume();
  }

  get isReadingPaused(): boolean {
    return this.paused;
  }

  /** Handle: the iteration was interrupted. */
  kill(): void {
    if (this.paused) this.resumeReading();
    this.ws?.terminate();
  }

  private binary(buf: Buffer): ArrayBuffer | Blob {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    return this.binaryType === "arraybuffer" ? ab : new Blob([ab]);
  }

  private failEarly(message: string): void {
    this.emit("error", { type: "error", error: message, timestamp: Date.now() });
    this.emitClose(1006, message);
  }

  private emitClose(code: number, reason: string): void {
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.emit("close", { type: "close", code, reason, timestamp: Date.now() });
    this.ctx.release(this);
  }

  private emit(name: EventName, ev: Record<string, unknown>): void {
    const prop = this[`on${name}` as const];
    if (prop) guarded(this.ctx, prop, ev);
    const ls = this.listeners[name];
    if (ls) for (const l of ls) guarded(this.ctx, l, ev);
  }
}

const BlobClass = globalThis.Blob;
export { BlobClass as Blob };
export default { WebSocket, Blob: BlobClass };
