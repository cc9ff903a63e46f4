/**
 * The uWebSockets.js transport: one App serving `/ws` and plain HTTP on one port,
 * listening with SO_REUSEPORT (uSockets' default unless LIBUS_LISTEN_EXCLUSIVE_PORT is
 * passed), so several worker processes can share the port.
 *
 * Which native build serves is chosen by uws-load.ts (by Node ABI and by whether the
 * binary loads); when none loads, server.ts serves through the ws transport instead
 * (refused unless allowed). A package's own JavaScript fallback is never loaded.
 */
import type * as UWS from "uWebSockets.js";
import type { UwsBuild } from "./uws-load.ts";
import {
  type Admission,
  type Conn,
  SendResult,
  type Transport,
  type TransportOptions,
} from "../core/transport.ts";

export class UwsFallbackRefusedError extends Error {
  override name = "UwsFallbackRefusedError";
}
export const isUwsFallbackRefusedError = (e: unknown): e is UwsFallbackRefusedError =>
  e instanceof Error && e.name === "UwsFallbackRefusedError";

export { loadUws, type UwsAttempt, type UwsBuild } from "./uws-load.ts";

interface UserData<S> {
  ip: string;
  origin: string;
  host: string;
  conn?: UwsConn;
  state?: S;
}

const dec = new TextDecoder();

/**
 * A chunked response: each chunk written corked; while uWS reports the socket backed up
 * the loop waits for onWritable; a client that goes away stops the producer (`return()`).
 */
async function streamReply(res: UWS.HttpResponse, status: number, headers: Array<[string, string]>, body: AsyncIterable<string>): Promise<void> {
  let aborted = false;
  let wake: (() => void) | undefined;
  const it = body[Symbol.asyncIterator]();
  res.onAborted(() => {
    aborted = true;
    wake?.();
    void it.return?.();
  });
  res.cork(() => {
    res.writeStatus(statusLine(status));
    for (const [k, v] of headers) res.writeHeader(k, v);
  });
  try {
    for (;;) {
      const n = await it.next();
      if (aborted) return;
      if (n.done) break;
      let ok = true;
      res.cork(() => { ok = res.write(n.value); });
      if (!ok) {
        await new Promise<void>((r) => {
          wake = r;
          res.onWritable(() => { r(); return true; });
        });
        if (aborted) return;
      }
    }
    res.cork(() => res.end());
  } catch {
    // The producer failed mid-stream: the status is sent, so the only signal left is a cut connection.
    if (!aborted) res.close();
  }
}
/** WebSocket close code for a message over the size limit (RFC 6455 7.4.1). */
const CLOSE_TOO_BIG = 1009;
/**
 * Largest frame uWS reads (and so can answer with a 1009 close); anything larger is
 * cut by uWS at the frame header, without a close frame. Bounds what one socket can
 * make the edge buffer while a frame arrives.
 */
export const READ_CEILING = 2 << 20;

class UwsConn implements Conn {
  closed = false;
  constructor(private readonly ws: UWS.WebSocket<unknown>) {}
  send(frame: Uint8Array | string): SendResult {
    return this.closed ? SendResult.Dropped : (this.ws.send(frame, false, false) as SendResult);
  }
  cork(fn: () => void): void {
    if (this.closed) fn();
    else this.ws.cork(fn);
  }
  subscribe(topic: string): void {
    if (!this.closed) this.ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    if (!this.closed) this.ws.unsubscribe(topic);
  }
  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }
  end(code: number, reason: string): void {
    // uWS sends the close frame, calls the close handler at once and tears the socket
    // down itself if the peer never answers.
    if (!this.closed) this.ws.end(code, reason);
  }
  terminate(): void {
    if (!this.closed) this.ws.close();
  }
}

/**
 * The `/ws` upgrade step: read what is needed from the request while it is valid, ask
 * the hub for admission (maybe asynchronously), then upgrade or answer the refusal.
 */
function upgradeHandler<S>(opts: TransportOptions<S>) {
  return (res: UWS.HttpResponse, req: UWS.HttpRequest, context: UWS.us_socket_context_t): void => {
    // Everything needed later is read now: `req` is valid only during this call.
    const peer = dec.decode(res.getRemoteAddressAsText());
    const request = {
      peer,
      origin: req.getHeader("origin"),
      host: req.getHeader("host"),
      xForwardedFor: req.getHeader("x-forwarded-for"),
      forwarded: req.getHeader("forwarded"),
    };
    const key = req.getHeader("sec-websocket-key");
    const protocol = req.getHeader("sec-websocket-protocol");
    const extensions = req.getHeader("sec-websocket-extensions");
    const answer = (a: Admission) => {
      if (!a.ok) {
        res.writeStatus(statusLine(a.status)).writeHeader("Content-Type", "text/plain");
        if (a.status !== 403) res.writeHeader("Retry-After", "1");
        res.end(`${a.reason}\n`, true);
        return;
      }
      const ud: UserData<S> = { ip: a.ip, origin: request.origin, host: request.host };
      res.upgrade(ud, key, protocol, extensions, context);
    };
    const a = opts.sockets.admit(request);
    if (!(a instanceof Promise)) return answer(a);
    // Asynchronous decision (the host-wide count): the client may leave meanwhile.
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void a.then((r) => {
      if (aborted) {
        if (r.ok) opts.sockets.abandon(r.ip);
        return;
      }
      res.cork(() => answer(r));
    });
  };
}

/** Plain HTTP: the routes' reply, written corked, or streamed when it is a stream. */
function httpHandler<S>(opts: TransportOptions<S>) {
  return (res: UWS.HttpResponse, req: UWS.HttpRequest): void => {
    const method = req.getMethod().toUpperCase();
    const reply = opts.http({ method, path: req.getUrl(), query: req.getQuery() ?? "", header: (n) => req.getHeader(n) });
    if (reply.stream && method !== "HEAD") return void streamReply(res, reply.status, reply.headers, reply.stream);
    res.cork(() => {
      res.writeStatus(statusLine(reply.status));
      for (const [k, v] of reply.headers) res.writeHeader(k, v);
      if (method === "HEAD") res.endWithoutBody(typeof reply.body === "string" ? Buffer.byteLength(reply.body) : reply.body.byteLength);
      else res.end(reply.body);
    });
  };
}

/**
 * Start a uWS transport on a native build (see {@link loadUws}).
 */
export async function startUwsTransport<S>(opts: TransportOptions<S>, b: UwsBuild): Promise<Transport> {
  const uws = b.uws;
  if (!b.native || !uws) throw new Error(`no native uWS build to start: ${b.why}`);
  const app = uws.App();
  const open = new Set<UwsConn>();
  // uWS rejects idle timeouts between 1 and 8 s (and aborts the process doing so).
  const idle = opts.idleTimeoutMs <= 0 ? 0 : Math.max(9, Math.round(opts.idleTimeoutMs / 1000));

  app.ws<UserData<S>>(opts.wsPath, {
    maxPayloadLength: Math.max(opts.hardMaxPayload, READ_CEILING),
    maxBackpressure: opts.maxBackpressure,
    closeOnBackpressureLimit: 0,
    idleTimeout: idle,
    sendPingsAutomatically: true,
    compression: uws.DISABLED,
    upgrade: upgradeHandler(opts),
    open: (ws) => {
      const ud = ws.getUserData();
      const conn = new UwsConn(ws as UWS.WebSocket<unknown>);
      ud.conn = conn;
      open.add(conn);
      ud.state = opts.sockets.open(conn, ud);
      // Only needed to decide on the connection; do not keep them for its lifetime.
      ud.origin = ud.host = "";
    },
    message: (ws, message, isBinary) => {
      const ud = ws.getUserData();
      if (message.byteLength > opts.hardMaxPayload) {
        // uWS itself drops a frame over maxPayloadLength without a close frame (the
        // client sees 1006); frames up to the read ceiling are read so 1009 can be sent.
        ud.conn?.end(CLOSE_TOO_BIG, "message too big");
        return;
      }
      if (ud.state !== undefined) opts.sockets.message(ud.state, new Uint8Array(message), isBinary);
    },
    close: (ws, code) => {
      const ud = ws.getUserData();
      if (ud.conn) {
        ud.conn.closed = true;
        open.delete(ud.conn);
      }
      if (ud.state !== undefined) opts.sockets.close(ud.state, code);
    },
  });

  app.any("/*", httpHandler(opts));

  const listenSocket = await new Promise<UWS.us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (ls) => {
      if (ls) resolve(ls);
      else reject(new Error(`uWS could not listen on ${opts.host}:${opts.port}`));
    });
  });
  const port = uws.us_socket_local_port(listenSocket as unknown as UWS.us_socket);
  let listening = true;

  return {
    build: b.build,
    detail: `${b.pkg} ${b.binary}`,
    why: b.why,
    port,
    publish: (topic, bytes) => {
      app.publish(topic, bytes, false, false);
    },
    stopListening: () => {
      if (!listening) return;
      listening = false;
      uws.us_listen_socket_close(listenSocket);
    },
    close: async () => {
      if (listening) {
        listening = false;
        uws.us_listen_socket_close(listenSocket);
      }
      for (const c of [...open]) c.terminate();
      open.clear();
    },
  };
}

const REASONS: Record<number, string> = {
  200: "OK",
  304: "Not Modified",
  400: "Bad Request",
  403: "Forbidden",
  429: "Too Many Requests",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
  503: "Service Unavailable",
};
function statusLine(status: number): string {
  return `${status} ${REASONS[status] ?? "Status"}`;
}
