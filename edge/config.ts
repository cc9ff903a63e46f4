/**
 * Edge settings: every limit and knob of the edge tier, named by its environment
 * variable and validated with zod through lib/platform/config.ts `loadConfig`.
 *
 *   const cfg = edgeConfig(loadConfig({ ...edgeSettings, ...natsSettings }));
 *
 * A bad value stops start-up with a ConfigError naming the variable.
 */
import { z } from "zod";
import { loadConfig, logSettings, natsSettings, v } from "../lib/platform/config.ts";
import { type AddressRange, parseRange, type ProxyHeader } from "./core/addresses.ts";

export const edgeSettings = {
  EDGE_PORT: v.int(0, 65535).default(8080).describe("HTTP + WebSocket port (0 = any free port)"),
  EDGE_HOST: z.string().default("0.0.0.0"),
  EDGE_ID: z.string().regex(/^[A-Za-z0-9_.\-]{1,64}$/).optional().describe("server id in hello frames; default edge-<pid>"),
  EDGE_WORKERS: v.int(0, 256).default(0).describe("worker processes sharing the port; 0 = one per core"),
  EDGE_TRANSPORT: z.enum(["uws", "ws"]).default("uws"),
  EDGE_ALLOW_UWS_FALLBACK: v.bool().default(false).describe("serve through the ws transport when no native uWS build loads (npm start sets it)"),
  UI_DIST: z.string().default("ui/dist"),
  EDGE_LAKE_DIR: z.string().default("data/lake")
    .describe("local lake directory GET /replay reads (the archiver's ARCHIVE_URL when that is a local path)"),
  EDGE_MAX_FRAME_BYTES: v.int(64, 1 << 20).default(4096).describe("largest client frame answered with an error instead of a close"),
  EDGE_MAX_ROOMS: v.int(1, 1000).default(64).describe("rooms per connection"),
  EDGE_MSG_RATE: v.num(0.1, 10_000).default(10).describe("client frames per second per connection (token refill)"),
  EDGE_MSG_BURST: v.num(1, 100_000).default(30).describe("token bucket size"),
  EDGE_MAX_CONNS_PER_IP: v.int(1, 1_000_000).default(1000)
    .describe("open connections per client address on this host (the workers share one count)"),
  EDGE_TRUSTED_PROXIES: v.list().pipe(z.array(z.string().refine((s) => parseRange(s) !== undefined, "an IP address or CIDR range")))
    .default([]).describe("TCP peers (IPs or CIDRs) whose forwarding header names the client; empty = trust none"),
  EDGE_PROXY_HEADER: z.enum(["x-forwarded-for", "forwarded"]).default("x-forwarded-for")
    .describe("the header trusted proxies set: X-Forwarded-For or RFC 7239 Forwarded"),
  EDGE_ALLOWED_HOSTS: v.list().default([])
    .describe("Host header values accepted for WebSocket upgrades (name or name:port); empty = any"),
  EDGE_IDLE_TIMEOUT: v.duration().pipe(z.number().int().min(0).max(960_000)).default(60_000)
    .describe("close connections silent this long; pings keep live ones open (0 = never)"),
  EDGE_ALLOWED_ORIGINS: v.list().default([]).describe("allowed Origin values; empty = same host only; * = any"),
  EDGE_MAX_BACKPRESSURE: v.int(1024, 64 << 20).default(64 * 1024).describe("bytes buffered per socket before publishes skip it"),
  EDGE_SLOW_CLOSE: v.duration().pipe(z.number().int().min(100)).default(10_000)
    .describe("a socket over EDGE_MAX_BACKPRESSURE for this long is closed (4001)"),
  EDGE_MAX_STRIKES: v.int(1, 10_000).default(10).describe("bad frames (decaying 1/s) before a close (4002)"),
  EDGE_REPLAY_WINDOW: v.duration().pipe(z.number().int().min(0)).default(120_000),
  EDGE_REFRESH_WINDOW: v.duration().pipe(z.number().int().min(0)).default(5_000),
  EDGE_LATENCY_SAMPLE: v.int(1, 1_000_000).default(64).describe("observe NATS → socket latency of 1 in N messages"),
  EDGE_METRICS_TOP_ROOMS: v.int(0, 1000).default(10),
  EDGE_FLUSH_INTERVAL: v.duration().pipe(z.number().int().min(0).max(1000)).default(0)
    .describe("hold room messages this long and publish them together, so a socket gets them in one write; 0 = each event-loop turn"),
  EDGE_SHUTDOWN_GRACE: v.duration().pipe(z.number().int().min(0).max(9_000)).default(3_000)
    .describe("time given to clients to receive the going-away close before the process exits"),
  EDGE_STALE_AFTER: v.duration().pipe(z.number().int().min(100)).default(10_000)
    .describe("/readyz answers 503 when the newest room.ticker.all message is older than this"),
};

export type EdgeSettings = z.infer<z.ZodObject<typeof edgeSettings>>;

/** The edge's configuration in code-friendly names (ms, bytes, counts). */
export interface EdgeConfig {
  port: number;
  host: string;
  id: string;
  workers: number;
  transport: "uws" | "ws";
  allowUwsFallback: boolean;
  uiDist: string;
  /** EDGE_LAKE_DIR: the local lake `GET /replay` reads. */
  lakeDir?: string;
  maxFrameBytes: number;
  maxRooms: number;
  msgsPerSecond: number;
  burst: number;
  maxConnsPerIp: number;
  idleTimeoutMs: number;
  allowedOrigins: string[];
  maxBackpressure: number;
  slowCloseMs: number;
  maxStrikes: number;
  replayWindowMs: number;
  refreshWindowMs: number;
  latencySample: number;
  topRooms: number;
  shutdownGraceMs: number;
  /** EDGE_STALE_AFTER: data older than this makes /readyz answer 503. */
  staleAfterMs: number;
  trustedProxies: AddressRange[];
  proxyHeader: ProxyHeader;
  flushIntervalMs: number;
  allowedHosts: string[];
}

export function edgeConfig(s: EdgeSettings, pid = 0): EdgeConfig {
  return {
    port: s.EDGE_PORT,
    host: s.EDGE_HOST,
    id: s.EDGE_ID ?? `edge-${pid}`,
    workers: s.EDGE_WORKERS,
    transport: s.EDGE_TRANSPORT,
    allowUwsFallback: s.EDGE_ALLOW_UWS_FALLBACK,
    uiDist: s.UI_DIST,
    lakeDir: s.EDGE_LAKE_DIR,
    maxFrameBytes: s.EDGE_MAX_FRAME_BYTES,
    maxRooms: s.EDGE_MAX_ROOMS,
    msgsPerSecond: s.EDGE_MSG_RATE,
    burst: s.EDGE_MSG_BURST,
    maxConnsPerIp: s.EDGE_MAX_CONNS_PER_IP,
    idleTimeoutMs: s.EDGE_IDLE_TIMEOUT,
    allowedOrigins: s.EDGE_ALLOWED_ORIGINS,
    maxBackpressure: s.EDGE_MAX_BACKPRESSURE,
    slowCloseMs: s.EDGE_SLOW_CLOSE,
    maxStrikes: s.EDGE_MAX_STRIKES,
    replayWindowMs: s.EDGE_REPLAY_WINDOW,
    refreshWindowMs: s.EDGE_REFRESH_WINDOW,
    latencySample: s.EDGE_LATENCY_SAMPLE,
    topRooms: s.EDGE_METRICS_TOP_ROOMS,
    shutdownGraceMs: s.EDGE_SHUTDOWN_GRACE,
    staleAfterMs: s.EDGE_STALE_AFTER,
    trustedProxies: s.EDGE_TRUSTED_PROXIES.map((r) => parseRange(r)!),
    proxyHeader: s.EDGE_PROXY_HEADER,
    flushIntervalMs: s.EDGE_FLUSH_INTERVAL,
    allowedHosts: s.EDGE_ALLOWED_HOSTS.map((h) => h.toLowerCase()),
  };
}

/** Every variable the edge process reads. */
export const edgeProcessSettings = { ...edgeSettings, ...natsSettings, ...logSettings };

/** Load and validate the edge's variables from `env`. Throws ConfigError naming bad variables. */
export function loadEdgeSettings(env?: Record<string, string | undefined>) {
  return loadConfig(edgeProcessSettings, env);
}
