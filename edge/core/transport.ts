/**
 * What the edge core needs from a WebSocket + HTTP server. Two adapters implement it:
 * transport/uws.ts (uWebSockets.js, the production path) and transport/ws.ts (the `ws`
 * package on node:http, for runtimes where uWS cannot load). The core never imports
 * either.
 */

/** Result of a direct send, as uWS reports it. */
export const SendResult = { Backpressure: 0, Ok: 1, Dropped: 2 } as const;
export type SendResult = (typeof SendResult)[keyof typeof SendResult];

/** One client socket. Valid from `open` until `onClose`; calls after that are no-ops. */
export interface Conn {
  /** Sends a text frame. Dropped (2) when the socket is over its backpressure limit. */
  send(frame: Uint8Array | string): SendResult;
  /** Runs `fn` with the socket's writes batched into one syscall. */
  cork(fn: () => void): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  bufferedAmount(): number;
  /** Close handshake with a code; if the peer never reads, the adapter tears the socket down later. */
  end(code: number, reason: string): void;
}

/** The parts of an upgrade request the core decides on. */
export interface UpgradeInfo {
  ip: string;
  origin: string;
  host: string;
}

/** What a transport reads from an upgrade request before deciding on it. */
export interface UpgradeRequest {
  /** The TCP peer's address as the socket reports it. */
  peer: string;
  origin: string;
  host: string;
  xForwardedFor: string;
  forwarded: string;
}

/** HTTP statuses an upgrade may be refused with. */
export type RefusalStatus = 403 | 429 | 503;

/**
 * The core's decision on an upgrade. Accepted: the socket may open, and `ip` (the
 * client address) already holds a slot in the per-address count, which `open` takes
 * over or `abandon` gives back. Refused: answer with `status` and `reason`, no 101.
 */
export type Admission =
  | { ok: true; ip: string }
  | { ok: false; status: RefusalStatus; reason: string };

/** Callbacks the core gives a transport. `S` is the core's per-socket state. */
export interface SocketHandlers<S> {
  /**
   * A new socket is open. Returns its state. The core may end the socket at once
   * (e.g. per-address cap) and still returns a state so close is reported uniformly.
   */
  open(conn: Conn, info: UpgradeInfo): S;
  /** One client frame; `data` is only valid during the call. */
  message(state: S, data: Uint8Array, isBinary: boolean): void;
  close(state: S, code: number): void;
  /** Whether upgrades are accepted now (false until ready and while shutting down). */
  accepting(): boolean;
  /**
   * Decide an upgrade before answering it (readiness, Host, Origin, per-address cap).
   * May be asynchronous: the cap shared by several worker processes is kept by the
   * primary. The transport upgrades only on `ok`, and then calls `open` with `info.ip`
   * set to the admitted address, or `abandon(ip)` if the request went away meanwhile.
   */
  admit(req: UpgradeRequest): Admission | Promise<Admission>;
  /** Give back the slot of an admitted upgrade that never opened. */
  abandon(ip: string): void;
}

/** A plain HTTP request/response, enough for health, metrics and static files. */
export interface HttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string without the `?` ("" when none). */
  query?: string;
  header(lowerCaseName: string): string;
}
export interface HttpReply {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array | string;
  /**
   * A streamed body (then `body` is ignored): the transport writes each chunk as it
   * comes, waits while the socket is backed up, and calls the iterator's `return()` when
   * the client goes away, so a producer never runs ahead of a slow or gone reader.
   */
  stream?: AsyncIterable<string>;
}
export type HttpHandler = (req: HttpRequest) => HttpReply;

export interface TransportOptions<S> {
  host: string;
  port: number;
  /** Frames up to this size reach the core (which answers oversized ones with an error); larger ones close the socket with 1009. */
  hardMaxPayload: number;
  maxBackpressure: number;
  idleTimeoutMs: number;
  sockets: SocketHandlers<S>;
  http: HttpHandler;
  /** Path of the WebSocket endpoint, e.g. "/ws". */
  wsPath: string;
}

export interface Transport {
  /** "uws-native", "ws-fallback" or "ws". */
  readonly build: string;
  /** Extra build detail for logs and /healthz (e.g. the native binary's name). */
  readonly detail?: string;
  /** Why this build serves (which package loaded, or why none did), for the start-up line and /healthz. */
  readonly why?: string;
  /** The port actually listened on (resolves port 0). */
  readonly port: number;
  /** Sends `bytes` (a text frame) to every socket subscribed to `topic`, skipping sockets over the backpressure limit. */
  publish(topic: string, bytes: Uint8Array): void;
  /** Publishes skipped for slow sockets, if the transport can count them (uWS cannot). */
  skipped?(): number;
  /** Stop accepting connections (existing sockets stay). */
  stopListening(): void;
  /** Tear down every remaining socket and free the server. */
  close(): Promise<void>;
}

/** Starts a transport; rejects when it cannot listen. */
export type TransportFactory = <S>(opts: TransportOptions<S>) => Promise<Transport>;
