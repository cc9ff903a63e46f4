/**
 * `startEdge(opts)`: one edge process — transport (uWS or ws) listening on one port for
 * `/ws` and HTTP, the hub, and the NATS side — returning a handle for tests and for
 * main.ts.
 *
 *   const edge = await startEdge({ env: { NATS_URL, EDGE_PORT: "0" } });
 *   ... ws://127.0.0.1:${edge.port}/ws ...
 *   await edge.stop();
 *
 * The port is open (and /healthz answers 503) while NATS connects and the latest room
 * messages load; WebSocket upgrades get 503 until then, so no client ever joins a
 * room before its snapshot is in memory.
 */
import { getLogger } from "@logtape/logtape";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats } from "../actors/nats.ts";
import { type EdgeConfig, edgeConfig, loadEdgeSettings } from "./config.ts";
import { EdgeHub } from "./core/hub.ts";
import type { Transport } from "./core/transport.ts";
import { EdgeMetrics } from "./http/metrics.ts";
import { type Health, routes } from "./http/routes.ts";
import { StaticFiles } from "./http/static.ts";
import { EdgeBus } from "./nats/bus.ts";
import type { TransportOptions } from "./core/transport.ts";
import type { Session } from "./core/session.ts";

export interface StartEdgeOptions {
  /** Environment to read EDGE_* and NATS_* from (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** Settings that win over the environment (tests). */
  overrides?: Partial<EdgeConfig>;
  /** Use this NATS connection instead of opening one (it is left open on stop). */
  nc?: NatsConnection;
}

export interface EdgeHandle {
  readonly port: number;
  readonly id: string;
  /** "uws-native", "uws-fallback" or "ws". */
  readonly build: string;
  readonly hub: EdgeHub;
  readonly bus: EdgeBus;
  health(): Health;
  /** Going-away close to every client, drain, free the port and NATS. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Frames up to 4× the error threshold are read and answered; bigger ones close the socket (1009). */
const HARD_PAYLOAD_FACTOR = 4;

export async function startEdge(opts: StartEdgeOptions = {}): Promise<EdgeHandle> {
  const log = getLogger(["tickflow", "edge"]);
  const settings = loadEdgeSettings(opts.env ?? process.env);
  const cfg: EdgeConfig = { ...edgeConfig(settings, process.pid), ...opts.overrides };
  const warn = (message: string, props?: Record<string, unknown>) => log.warn(message, props);
  const started = Date.now();

  let bus: EdgeBus | undefined;
  let metrics: EdgeMetrics | undefined;
  const hub = new EdgeHub(cfg, {
    log: {
      read: (topic, after) => bus ? bus.log.read(topic, after) : Promise.reject(new Error("NATS not connected yet")),
    },
    refresh: (room) => bus?.refresh(room),
    history: (q) => bus ? bus.history(q) : Promise.reject(new Error("NATS not connected yet")),
    defer: setImmediate,
    observeLatency: (ms) => metrics?.observeLatency(ms),
    warn,
  });

  const files = new StaticFiles(cfg.uiDist);
  let transport: Transport | undefined;
  const health = (): Health => {
    const nats = bus === undefined ? "connecting" : bus.nc.isClosed() ? "closed" : bus.live ? "connected" : "disconnected";
    const ok = hub.ready && !hub.closing && bus?.live === true;
    return {
      ok,
      body: {
        status: ok ? "ok" : "unavailable",
        server: cfg.id,
        pid: process.pid,
        transport: cfg.transport,
        build: transport?.build,
        binary: transport?.detail,
        nats,
        roomsLive: hub.ready,
        connections: hub.sessions.size,
        rooms: hub.rooms.size,
        uptimeSec: Math.round((Date.now() - started) / 1000),
      },
    };
  };
  const transportOpts = {
    host: cfg.host,
    port: cfg.port,
    hardMaxPayload: cfg.maxFrameBytes * HARD_PAYLOAD_FACTOR,
    maxBackpressure: cfg.maxBackpressure,
    idleTimeoutMs: cfg.idleTimeoutMs,
    sockets: hub.handlers,
    http: routes({ health, metrics: () => metrics?.render() ?? "", files }),
    wsPath: "/ws",
  };
  transport = await startTransport(cfg, transportOpts, warn);
  hub.attach(transport);
  const t = transport;
  metrics = new EdgeMetrics(hub, {
    server: cfg.id,
    build: t.build,
    transport: cfg.transport,
    natsConnected: () => bus?.live === true,
    ...(t.skipped ? { skipped: () => t.skipped!() } : {}),
  }, cfg.topRooms);
  log.info("edge {id} listening on {host}:{port} with {build} {detail}", {
    id: cfg.id,
    host: cfg.host,
    port: t.port,
    build: t.build,
    detail: t.detail ?? "",
  });

  const sweep = setInterval(() => hub.sweep(), Math.min(1000, Math.max(50, cfg.slowCloseMs / 4)));
  sweep.unref();
  const ownsNc = opts.nc === undefined;
  try {
    const nc = opts.nc ?? await connectNats(settings, cfg.id);
    bus = await EdgeBus.create(nc, cfg.replayWindowMs, warn);
    await bus.start(hub);
  } catch (e) {
    clearInterval(sweep);
    metrics.stop();
    await t.close();
    if (bus && ownsNc) await bus.close();
    throw e;
  }
  hub.ready = true;
  log.info("edge {id} ready: {rooms} rooms loaded", { id: cfg.id, rooms: hub.rooms.size });

  let stopping: Promise<void> | undefined;
  const b = bus;
  return {
    port: t.port,
    id: cfg.id,
    build: t.build,
    hub,
    bus: b,
    health,
    stop: (graceMs = cfg.shutdownGraceMs) =>
      stopping ??= (async () => {
        log.info("edge {id} stopping: going-away close to {n} clients", { id: cfg.id, n: hub.sessions.size });
        await hub.shutdown(graceMs);
        clearInterval(sweep);
        metrics?.stop();
        if (ownsNc) await b.close();
        else b.unsubscribe();
      })(),
  };
}

/**
 * The configured transport. uWS is loaded (and its build detected) only when asked
 * for, so runtimes without it (Deno) never touch it. When only uWS's JavaScript
 * fallback loads: refused (UwsFallbackRefusedError) unless EDGE_ALLOW_UWS_FALLBACK is
 * set; then the ws adapter serves, since that fallback has no pub/sub, and the build
 * is reported as "uws-fallback".
 */
async function startTransport(
  cfg: EdgeConfig,
  opts: TransportOptions<Session>,
  warn: (message: string, props?: Record<string, unknown>) => void,
): Promise<Transport> {
  const { startWsTransport } = await import("./transport/ws.ts");
  if (cfg.transport === "ws") return await startWsTransport(opts);
  const { loadUws, startUwsTransport, UwsFallbackRefusedError } = await import("./transport/uws.ts");
  const b = loadUws();
  if (b.native) return await startUwsTransport(opts, b);
  if (!cfg.allowUwsFallback) {
    throw new UwsFallbackRefusedError(
      "uWebSockets.js loaded its JavaScript fallback (no native binary for this Node build, or UWS_USE_FALLBACK is set); " +
        "set EDGE_ALLOW_UWS_FALLBACK=true to serve anyway (through the ws adapter), or EDGE_TRANSPORT=ws",
    );
  }
  warn("uWebSockets.js loaded its JavaScript fallback; serving through the ws adapter (EDGE_ALLOW_UWS_FALLBACK=true)", {});
  const t = await startWsTransport(opts);
  return {
    build: b.build,
    detail: "served by the ws adapter (the uWS fallback implements no topics)",
    port: t.port,
    publish: t.publish,
    ...(t.skipped ? { skipped: t.skipped } : {}),
    stopListening: t.stopListening,
    close: t.close,
  };
}
