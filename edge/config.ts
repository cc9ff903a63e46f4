/**
 * Edge settings: every limit and knob of the edge tier, declared once as
 * `edgeFields` (code name → variable, zod schema with default and description). The
 * variable shape `edgeSettings`, the `EdgeConfig` type and the `edgeConfig` mapping
 * derive from it, and so do the configuration tables of README.md and edge/README.md
 * (`npm run docs:config`).
 *
 *   const cfg = edgeConfig(loadEdgeSettings());
 *
 * A bad value stops start-up with a ConfigError naming the variable.
 */
import { z } from "zod";
import { field, fieldShape, fieldValues, type FieldValues, loadConfig, logSettings, natsSettings, v } from "../lib/platform/config.ts";
import { type AddressRange, parseRange } from "./core/addresses.ts";

const duration = (min: number, max = Number.MAX_SAFE_INTEGER) => v.duration().pipe(z.number().int().min(min).max(max));
const isRange = (s: string) => parseRange(s) !== undefined;

export const edgeFields = {
  port: field("EDGE_PORT", v.int(0, 65535).default(8080).describe("HTTP + WebSocket (/ws) port (0 = any free port)")),
  host: field("EDGE_HOST", z.string().default("0.0.0.0").describe("address the HTTP + WebSocket server listens on")),
  id: field("EDGE_ID", z.string().regex(/^[A-Za-z0-9_.\-]{1,64}$/).optional()
    .describe("server id in hello frames (default edge-<pid>); workers are <id>-w<n>")),
  workers: field("EDGE_WORKERS", v.int(0, 256).default(0).describe("worker processes sharing the port; 0 = one per core")),
  transport: field("EDGE_TRANSPORT", z.enum(["uws", "ws"]).default("uws").describe("uws (uWebSockets.js) or ws")),
  allowUwsFallback: field("EDGE_ALLOW_UWS_FALLBACK", v.bool().default(false)
    .describe("serve through the ws transport when no native uWS build loads (npm start sets it; in-process edges inherit the process's value)")),
  uiDist: field("UI_DIST", z.string().default("ui/dist").describe("folder of the built dashboard")),
  lakeDir: field("EDGE_LAKE_DIR", z.string().default("data/lake")
    .describe("local lake directory GET /replay and GET /candles read (the archiver's ARCHIVE_URL when that is a local path)")),
  maxFrameBytes: field("EDGE_MAX_FRAME_BYTES", v.int(64, 1 << 20).default(4096)
    .describe("largest client frame answered with an error (too_large) instead of a close")),
  maxRooms: field("EDGE_MAX_ROOMS", v.int(1, 1000).default(64).describe("rooms per connection")),
  msgsPerSecond: field("EDGE_MSG_RATE", v.num(0.1, 10_000).default(10).describe("client frames per second per connection (token refill)")),
  burst: field("EDGE_MSG_BURST", v.num(1, 100_000).default(30).describe("token bucket size (client frames in a burst)")),
  maxConnsPerIp: field("EDGE_MAX_CONNS_PER_IP", v.int(1, 1_000_000).default(1000)
    .describe("open connections per client address on this host (the workers share one count)")),
  trustedProxies: field("EDGE_TRUSTED_PROXIES", v.list().pipe(z.array(z.string().refine(isRange, "an IP address or CIDR range")))
    .transform((list): AddressRange[] => list.map((r) => parseRange(r)!)).default([])
    .describe("comma list of TCP peers (IPs or CIDRs) whose forwarding header names the client; empty = trust none")),
  proxyHeader: field("EDGE_PROXY_HEADER", z.enum(["x-forwarded-for", "forwarded"]).default("x-forwarded-for")
    .describe("the header trusted proxies set: x-forwarded-for or forwarded (RFC 7239)")),
  allowedHosts: field("EDGE_ALLOWED_HOSTS", v.list().transform((list) => list.map((h) => h.toLowerCase())).default([])
    .describe("comma list of Host header values accepted for WebSocket upgrades (name = any port, or name:port); empty = any")),
  idleTimeoutMs: field("EDGE_IDLE_TIMEOUT", duration(0, 960_000).default(60_000)
    .describe("close connections silent this long; pings keep live ones open (0 = never; uWS raises values under 9 s to 9 s)")),
  allowedOrigins: field("EDGE_ALLOWED_ORIGINS", v.list().default([])
    .describe("comma list of allowed Origin values (scheme://host[:port]); empty = same host only; * = any; requests without Origin pass")),
  maxBackpressure: field("EDGE_MAX_BACKPRESSURE", v.int(1024, 64 << 20).default(64 * 1024)
    .describe("bytes buffered per socket before publishes skip it")),
  slowCloseMs: field("EDGE_SLOW_CLOSE", duration(100).default(10_000)
    .describe("a socket over EDGE_MAX_BACKPRESSURE for this long is closed (4001)")),
  maxStrikes: field("EDGE_MAX_STRIKES", v.int(1, 10_000).default(10).describe("bad frames (decaying 1/s) before a close (4002)")),
  replayWindowMs: field("EDGE_REPLAY_WINDOW", duration(0).default(120_000)
    .describe("stream-room replay window: older gaps get resync + snapshot")),
  refreshWindowMs: field("EDGE_REFRESH_WINDOW", duration(0).default(5_000)
    .describe("at most one cmd.<room>.refresh per room per window")),
  latencySample: field("EDGE_LATENCY_SAMPLE", v.int(1, 1_000_000).default(64).describe("observe NATS → socket latency of 1 in N messages")),
  topRooms: field("EDGE_METRICS_TOP_ROOMS", v.int(0, 1000).default(10).describe("rooms listed individually in the metrics")),
  flushIntervalMs: field("EDGE_FLUSH_INTERVAL", duration(0, 1000).default(0)
    .describe("hold room messages this long and publish them together, so a socket gets them in one write; 0 = each event-loop turn")),
  shutdownGraceMs: field("EDGE_SHUTDOWN_GRACE", duration(0, 9_000).default(3_000)
    .describe("time given to clients to receive the going-away close before the process exits")),
  staleAfterMs: field("EDGE_STALE_AFTER", duration(100).default(10_000)
    .describe("/readyz answers 503 when the newest room.ticker.all message is older than this")),
};

/** The edge's variables (EDGE_*, UI_DIST) and their schemas. */
export const edgeSettings = fieldShape(edgeFields);

export type EdgeSettings = z.infer<z.ZodObject<typeof edgeSettings>>;

/** The edge's configuration in code-friendly names (ms, bytes, counts). */
export type EdgeConfig = Omit<FieldValues<typeof edgeFields>, "id"> & { id: string };

export function edgeConfig(s: EdgeSettings, pid = 0): EdgeConfig {
  const cfg = fieldValues(edgeFields, s);
  return { ...cfg, id: cfg.id ?? `edge-${pid}` };
}

/** Every variable the edge process reads. */
export const edgeProcessSettings = { ...edgeSettings, ...natsSettings, ...logSettings };

/** Load and validate the edge's variables from `env`. Throws ConfigError naming bad variables. */
export function loadEdgeSettings(env?: Record<string, string | undefined>) {
  return loadConfig(edgeProcessSettings, env);
}
