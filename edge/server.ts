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
import { connectNats } from "../lib/platform/nats.ts";
import { type EdgeConfig, edgeConfig, loadEdgeSettings } from "./config.ts";
import { EdgeHub } from "./core/hub.ts";
import type { Transport } from "./core/transport.ts";
import { EdgeMetrics } from "./http/metrics.ts";
import { type Health, routes } from "./http/routes.ts";
import { StaticFiles } from "./http/static.ts";
import { replayRoute } from "./http/replay.ts";
import { candlesRoute } from "./http/candles.ts";
import { EdgeBus } from "./nats/bus.ts";
import type { TransportOptions } from "./core/transport.ts";
import type { Session } from "./core/session.ts";
import type { AddressLimiter } from "./core/limits.ts";

export interface StartEdgeOptions {
  /** Environment to read EDGE_* and NATS_* from (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** Settings that win over the environment (tests). */
  overrides?: Partial<EdgeConfig>;
  /** Use this NATS connection instead of opening one (it is left open on stop). */
  nc?: NatsConnection;
  /** The per-address count (default: this process's own; a cluster worker passes the primary's). */
  addresses?: AddressLimiter;
}

export interface EdgeHandle {
  readonly port: number;
  readonly id: string;
  /** "uws-native", "ws-fallback" or "ws". */
  readonly build: string;
  readonly hub: EdgeHub;
  readonly bus: EdgeBus;
  health(): Health;
  /** `/readyz`: health plus data freshness (newest ticker.all younger than EDGE_STALE_AFTER). */
  ready(): Health;
  /** Going-away close to every client, drain, free the port and NATS. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Frames up to 4× the error threshold are answered with `too_large`; bigger ones close the socket with 1009. */
const HARD_PAYLOAD_FACTOR = 4;

/**
 * `/healthz` (`health`: hub ready, not closing, NATS live) and `/readyz` (`ready`: health
 * plus a ticker.all message younger than EDGE_STALE_AFTER). `bus` and `transport` are
 * read at each call: both appear while the edge starts.
 */
function healthChecks(cfg: EdgeConfig, hub: EdgeHub, started: number, bus: () => EdgeBus | undefined, transport: () => Transport | undefined) {
  const health = (): Health => {
    const b = bus();
    const nats = b === undefined ? "connecting" : b.nc.isClosed() ? "closed" : b.live ? "connected" : "disconnected";
    const ok = hub.ready && !hub.closing && b?.live === true;
    return {
      ok,
      body: {
        status: ok ? "ok" : "unavailable",
        server: cfg.id,
        pid: process.pid,
        transport: cfg.transport,
        build: transport()?.build,
        binary: transport()?.detail,
        why: transport()?.why,
        nats,
        roomsLive: hub.ready,
        connections: hub.sessions.size,
        rooms: hub.rooms.size,
        uptimeSec: Math.round((Date.now() - started) / 1000),
      },
    };
  };
  /** Age of the newest live ticker.all message; before the first one, time since start. */
  const dataAgeMs = (): number => Date.now() - (bus()?.lastTickerAllAt ?? started);
  const ready = (): Health => {
    const h = health();
    const ageMs = dataAgeMs();
    const seen = bus()?.lastTickerAllAt !== undefined;
    const fresh = seen && ageMs <= cfg.staleAfterMs;
    const ok = h.ok && fresh;
    const reason = !h.ok ? "unhealthy" : !seen ? "no ticker.all message yet" : fresh ? undefined : `no ticker.all message for ${Math.round(ageMs / 1000)} s`;
    return {
      ok,
      body: {
        ...h.body,
        status: ok ? "ready" : "unavailable",
        ...(reason ? { reason } : {}),
        dataAgeSec: Math.round(ageMs / 100) / 10,
        staleAfterSec: cfg.staleAfterMs / 1000,
      },
    };
  };
  return { health, ready, dataAgeMs };
}

export async function startEdge(opts: StartEdgeOptions = {}): Promise<EdgeHandle> {
  const log = getLogger(["tickflow", "edge"]);
  // Permission to serve without native uWS is the process's (npm test sets it on Node
  // lines without one): an explicit env inherits it unless it says otherwise.
  const env = opts.env ? { EDGE_ALLOW_UWS_FALLBACK: process.env.EDGE_ALLOW_UWS_FALLBACK, ...opts.env } : process.env;
  const settings = loadEdgeSettings(env);
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
    // EDGE_FLUSH_INTERVAL > 0: the first message of a batch waits that long, and every
    // message arriving meanwhile is published in the same flush (one write per socket).
    defer: cfg.flushIntervalMs > 0 ? (fn) => void setTimeout(fn, cfg.flushIntervalMs) : setImmediate,
    observeLatency: (ms) => metrics?.observeLatency(ms),
    warn,
    ...(opts.addresses ? { addresses: opts.addresses } : {}),
  });

  const files = new StaticFiles(cfg.uiDist);
  let transport: Transport | undefined;
  const { health, ready, dataAgeMs } = healthChecks(cfg, hub, started, () => bus, () => transport);
  const lakeDir = cfg.lakeDir ?? "data/lake";
  const transportOpts = {
    host: cfg.host,
    port: cfg.port,
    hardMaxPayload: cfg.maxFrameBytes * HARD_PAYLOAD_FACTOR,
    maxBackpressure: cfg.maxBackpressure,
    idleTimeoutMs: cfg.idleTimeoutMs,
    sockets: hub.handlers,
    http: routes({ health, ready, metrics: () => metrics?.render() ?? "", files, replay: replayRoute(lakeDir), candles: candlesRoute(lakeDir) }),
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
    dataAgeMs,
    ...(t.skipped ? { skipped: () => t.skipped!() } : {}),
  }, cfg.topRooms);
  log.info("edge {id} listening on {host}:{port} with {build} {detail} ({why})", {
    id: cfg.id,
    host: cfg.host,
    port: t.port,
    build: t.build,
    detail: t.detail ?? "",
    why: t.why ?? "",
  });

  const sweep = setInterval(() => hub.sweep(), Math.min(1000, Math.max(50, cfg.slowCloseMs / 4)));
  sweep.unref();
  // Rated subscriptions (`<room>@1s`): due times are checked every 100 ms.
  const rated = setInterval(() => hub.emitRated(), 100);
  rated.unref();
  const ownsNc = opts.nc === undefined;
  try {
    const nc = opts.nc ?? await connectNats(settings, cfg.id);
    bus = await EdgeBus.create(nc, cfg.replayWindowMs, warn);
    await bus.start(hub);
  } catch (e) {
    clearInterval(sweep);
    clearInterval(rated);
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
    ready,
    stop: (graceMs = cfg.shutdownGraceMs) =>
      stopping ??= (async () => {
        log.info("edge {id} stopping: going-away close to {n} clients", { id: cfg.id, n: hub.sessions.size });
        await hub.shutdown(graceMs);
        clearInterval(sweep);
        clearInterval(rated);
        metrics?.stop();
        if (ownsNc) await b.close();
        else b.unsubscribe();
      })(),
  };
}

/**
 * The configured transport. uWS is loaded (and its build chosen, transport/uws-load.ts)
 * only when asked for, so runtimes without it (Deno) never touch it. When no native
 * build loads: refused (UwsFallbackRefusedError, naming why) unless
 * EDGE_ALLOW_UWS_FALLBACK is set (`npm start` sets it); then the ws transport serves,
 * with one warning naming the cause, the cost and how to get a native build (worker 0
 * only, so a multi-worker edge says it once), and the build is "ws-fallback".
 */
async function startTransport(
  cfg: EdgeConfig,
  opts: TransportOptions<Session>,
  warn: (message: string, props?: Record<string, unknown>) => void,
): Promise<Transport> {
  const { startWsTransport } = await import("./transport/ws.ts");
  if (cfg.transport === "ws") {
    const t = await startWsTransport(opts);
    return { ...wrap(t), build: t.build, why: "EDGE_TRANSPORT=ws" };
  }
  const { loadUws, startUwsTransport, UwsFallbackRefusedError } = await import("./transport/uws.ts");
  const b = loadUws();
  if (b.native) return await startUwsTransport(opts, b);
  if (!cfg.allowUwsFallback) {
    throw new UwsFallbackRefusedError(
      `${b.why}. Set EDGE_ALLOW_UWS_FALLBACK=true to serve through the ws transport anyway (more CPU per message), ` +
        "or EDGE_TRANSPORT=ws, or install a native build (README, \"Packages\")",
    );
  }
  const { fallbackWarning } = await import("./transport/fallback.ts");
  if ((process.env.EDGE_WORKER_INDEX ?? "0") === "0") warn(fallbackWarning(b), {});
  const t = await startWsTransport(opts);
  return { ...wrap(t), build: b.build, detail: "ws transport (no native uWS)", why: b.why };
}

/** A transport's members as a plain object (spreading the class instance would drop its methods). */
function wrap(t: Transport): Transport {
  return {
    build: t.build,
    ...(t.detail ? { detail: t.detail } : {}),
    port: t.port,
    publish: t.publish,
    ...(t.skipped ? { skipped: t.skipped } : {}),
    stopListening: t.stopListening,
    close: t.close,
  };
}
