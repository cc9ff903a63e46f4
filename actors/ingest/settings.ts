/**
 * Settings of the ingest actors (connection shards and the CoinGecko poller), read from
 * the environment with `loadConfig(ingestSettings)`. Every upstream URL is configurable;
 * the defaults point at the built-in simulator on SIM_URL.
 *
 * FEED picks the venue set:
 *   sim      → the simulator's Coinbase (`/coinbase`) and Binance (`/stream`) endpoints.
 *              Venue names stay "coinbase" and "binance": the simulator speaks those
 *              protocols, and downstream code must not care whether data is simulated.
 *   coinbase → Coinbase Exchange only;  binance → Binance Spot only;  all → both real venues.
 */
import { z } from "zod";
import { v } from "../config.ts";

export const FEEDS = ["sim", "coinbase", "binance", "all"] as const;
export type Feed = (typeof FEEDS)[number];

export const ingestSettings = {
  FEED: z.enum(FEEDS).default("sim"),
  SIM_URL: v.url(["http", "https"]).default("http://127.0.0.1:8790").describe("base URL of the exchange simulator"),
  COINBASE_WS_URL: v.url(["ws", "wss"]).optional().describe("default: <SIM_URL>/coinbase, or Coinbase's feed"),
  BINANCE_WS_URL: v.url(["ws", "wss"]).optional().describe("combined-stream endpoint; default <SIM_URL>/stream"),
  BINANCE_REST_URL: v.url(["http", "https"]).optional().describe("REST base; default <SIM_URL>"),
  COINGECKO_URL: v.url(["http", "https"]).optional().describe("API base; default <SIM_URL>/api/v3"),
  COINGECKO_API_KEY: z.string().optional(),
  PRODUCTS: v.list().default([]).describe("BASE-QUOTE symbols or venue:PRODUCT; empty = all the upstream lists"),
  PRODUCTS_LIMIT: v.int(1).default(100_000).describe("cap on products taken from the upstream list"),
  /** Number of shard actors per host. */
  SHARDS: v.int(0, 64).default(1),
  SHARD_LOCAL_ADDRESS: z.union([z.ipv4(), z.ipv6()]).optional().describe("local IP upstream sockets bind to"),
  COINBASE_GAP_CHECK: v.bool().optional().describe("treat a jump in ticker sequence as a gap; default on for FEED=sim"),
  PRODUCTS_PER_CONNECTION: v.int(1, 1024).default(10),
  SUBSCRIBE_RATE: v.num(0.1, 1000).default(8).describe("subscribe/unsubscribe messages per second, per shard"),
  SUBSCRIBE_BURST: v.int(1, 1000).default(8),
  SUBSCRIBE_BATCH_MS: v.duration().default(100).describe("subscription changes wait this long to be sent together"),
  STALE_MS: v.duration().default(10_000).describe("no frame for this long → reconnect"),
  CONNECT_TIMEOUT_MS: v.duration().default(10_000),
  RECONNECT_BASE_MS: v.duration().default(1_000),
  RECONNECT_MAX_MS: v.duration().default(30_000),
  BREAKER_FAILURES: v.int(1).default(5),
  BREAKER_HALF_OPEN_MS: v.duration().default(60_000),
  BAD_FRAME_LOG_MS: v.duration().default(10_000).describe("at most one bad-frame log line per interval"),
  BOOKS: v.bool().default(true).describe("keep Binance order books"),
  BOOK_INTERVAL_MS: v.duration().default(1_000),
  BOOK_DEPTH: v.int(1, 5000).default(20),
  BOOK_SNAPSHOT_LIMIT: v.int(5, 5000).default(1000).describe("limit= of the REST depth snapshot"),
  BOOK_SNAPSHOT_CONCURRENCY: v.int(1, 64).default(4),
  PUBLISH_LINGER_MS: v.duration().default(5).describe("ticks of one symbol wait this long to share a message"),
  PUBLISH_MAX_BATCH: v.int(1, 10_000).default(200),
  PUBLISH_MAX_IN_FLIGHT: v.int(1, 100_000).default(1024).describe("JetStream publishes awaiting their ack"),
  PUBLISH_HOLD_BYTES: v.bytes().pipe(z.number().int().min(1024)).default(64 * 1024 * 1024).describe("bytes a shard holds for JetStream while NATS is unreachable; beyond it new ticks are dropped and reported as md.gap"),
  COINGECKO_INTERVAL_MS: v.duration().default(60_000).describe("poll period (30-90 s against the real API)"),
  COINGECKO_PER_PAGE: v.int(1, 250).default(250),
  COINGECKO_PAGES: v.int(1, 40).default(1),
  COINGECKO_VS: z.string().regex(/^[a-z]{3,5}$/).default("usd"),
  COINGECKO_RATE_PER_MIN: v.num(0.1, 10_000).default(30),
  COINGECKO_BACKOFF_MS: v.duration().default(5_000).describe("first retry delay; doubles (5/10/20 s)"),
  COINGECKO_ATTEMPTS: v.int(1, 10).default(3),
  COINGECKO_BREAKER_FAILURES: v.int(1).default(5),
  COINGECKO_BREAKER_HALF_OPEN_MS: v.duration().default(60_000),
};

export type IngestSettings = z.infer<z.ZodObject<typeof ingestSettings>>;

export interface VenueEndpoint {
  venue: "coinbase" | "binance";
  wsUrl: string;
  restUrl?: string;
}

const REAL = {
  coinbase: "wss://ws-feed.exchange.coinbase.com",
  binanceWs: "wss://stream.binance.com:9443/stream",
  binanceRest: "https://api.binance.com",
  coingecko: "https://api.coingecko.com/api/v3",
};

function wsOf(httpBase: string, path: string): string {
  const u = new URL(httpBase);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = u.pathname.replace(/\/$/, "") + path;
  return u.toString();
}
const join = (base: string, path: string) => base.replace(/\/$/, "") + path;

/** The venues a FEED reads and their endpoints (explicit URLs win). */
export function venueEndpoints(s: IngestSettings): VenueEndpoint[] {
  const sim = s.FEED === "sim";
  const out: VenueEndpoint[] = [];
  if (s.FEED === "sim" || s.FEED === "coinbase" || s.FEED === "all") {
    out.push({ venue: "coinbase", wsUrl: s.COINBASE_WS_URL ?? (sim ? wsOf(s.SIM_URL, "/coinbase") : REAL.coinbase) });
  }
  if (s.FEED === "sim" || s.FEED === "binance" || s.FEED === "all") {
    out.push({
      venue: "binance",
      wsUrl: s.BINANCE_WS_URL ?? (sim ? wsOf(s.SIM_URL, "/stream") : REAL.binanceWs),
      restUrl: s.BINANCE_REST_URL ?? (sim ? s.SIM_URL : REAL.binanceRest),
    });
  }
  return out;
}

export function coingeckoUrl(s: IngestSettings): string {
  return s.COINGECKO_URL ?? (s.FEED === "sim" ? join(s.SIM_URL, "/api/v3") : REAL.coingecko);
}
