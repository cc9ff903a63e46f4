/**
 * Settings of the ingest actors (connection shards and the CoinGecko poller), read from
 * the environment with `loadConfig(ingestSettings)`. Every upstream URL is configurable;
 * the defaults point at the built-in simulator on SIM_URL.
 *
 * FEED is a comma list picking the venue set:
 *   coinbase, binance (Spot), binance-usdm (USD-M futures) → those venues;
 *   all      → coinbase, binance and binance-usdm;
 *   sim      → endpoints default to the built-in simulator (SIM_URL) instead of the real
 *              venues; `sim` alone means coinbase + binance from the simulator. Venue
 *              names stay "coinbase", "binance", "binance-usdm": the simulator speaks
 *              those protocols, and downstream code must not care whether it is simulated;
 *   coingecko → no exchange venue (the CoinGecko poller runs where POLLER=true).
 * Explicit *_URL variables always win.
 *
 * Each variable's zod schema with its default and description is the one source of the
 * `IngestSettings` type and of the table in actors/ingest/README.md (`npm run docs:config`).
 */
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";

export const FEEDS = ["sim", "coinbase", "binance", "binance-usdm", "coingecko", "all"] as const;
export type Feed = (typeof FEEDS)[number];
export type ExchangeVenue = "coinbase" | "binance" | "binance-usdm";

export const ingestSettings = {
  FEED: v
    .list()
    .pipe(z.array(z.enum(FEEDS)).min(1, "at least one of " + FEEDS.join(", ")))
    .default(["sim"])
    .describe("comma list of sim, coinbase, binance, binance-usdm, coingecko, all"),
  SIM_URL: v.url(["http", "https"]).default("http://127.0.0.1:8790").describe("base URL of the exchange simulator"),
  COINBASE_WS_URL: v.url(["ws", "wss"]).optional().describe("default: <SIM_URL>/coinbase, or Coinbase's feed"),
  COINBASE_API: z.enum(["exchange", "advanced"]).default("exchange").describe("Coinbase WebSocket API: exchange (ws-feed: per-product sequences and trade ids, no auth) or advanced (Advanced Trade channel/events envelope)"),
  COINBASE_ADVANCED_WS_URL: v.url(["ws", "wss"]).optional().describe("Advanced Trade feed; default wss://advanced-trade-ws.coinbase.com, or <SIM_URL>/coinbase-advanced"),
  COINBASE_JWT: z.string().min(1).optional().describe("Advanced Trade: a JWT sent with every (un)subscribe (optional for market data; Coinbase JWTs expire after 2 min)"),
  COINBASE_API_KEY_NAME: z.string().min(1).optional().describe("Advanced Trade: CDP API key name (organizations/{org_id}/apiKeys/{key_id}); with COINBASE_API_PRIVATE_KEY every (un)subscribe carries a fresh ES256 JWT"),
  COINBASE_API_PRIVATE_KEY: z.string().min(1).optional().describe("Advanced Trade: the CDP key's EC private key (PEM; newlines as is or as \\n)"),
  COINBASE_REST_URL: v.url(["http", "https"]).optional().describe("Coinbase Exchange REST base for the product list; default https://api.exchange.coinbase.com (a sandbox or test server can stand in)"),
  BINANCE_WS_URL: v.url(["ws", "wss"]).optional().describe("combined-stream endpoint; default <SIM_URL>/stream"),
  BINANCE_REST_URL: v.url(["http", "https"]).optional().describe("REST base; default <SIM_URL>"),
  BINANCE_USDM_WS_URL: v.url(["ws", "wss"]).optional().describe("USD-M futures stream base (…/stream is appended); default wss://fstream.binance.com, or <SIM_URL>/fstream"),
  BINANCE_USDM_REST_URL: v.url(["http", "https"]).optional().describe("USD-M futures REST base; default https://fapi.binance.com, or <SIM_URL>"),
  COINGECKO_URL: v.url(["http", "https"]).optional().describe("API base; default <SIM_URL>/api/v3"),
  COINGECKO_API_KEY: z.string().optional().describe("CoinGecko demo API key (sent as x-cg-demo-api-key)"),
  PRODUCTS: v.list().default([]).describe("BASE-QUOTE symbols or venue:PRODUCT; empty = all the upstream lists"),
  PRODUCTS_LIMIT: v.int(1).default(100_000).describe("cap on products taken from the upstream list"),
  SHARDS: v.int(0, 64).default(1).describe("connection shard actors per host"),
  SHARD_LOCAL_ADDRESS: z.union([z.ipv4(), z.ipv6()]).optional().describe("local IP upstream sockets bind to"),
  COINBASE_GAP_CHECK: v.bool().optional().describe("treat a jump in ticker sequence as a gap; default on for FEED=sim"),
  PRODUCTS_PER_CONNECTION: v.int(1, 1024).default(10).describe("products per upstream WebSocket (Binance: fewer when books and trades need more streams)"),
  SUBSCRIBE_RATE: v.num(0.1, 1000).default(8).describe("subscribe/unsubscribe messages per second, per shard"),
  SUBSCRIBE_BURST: v.int(1, 1000).default(8).describe("subscribe/unsubscribe messages in a burst (token bucket size)"),
  SUBSCRIBE_BATCH_MS: v.duration().default(100).describe("subscription changes wait this long to be sent together"),
  STALE_MS: v.duration().default(10_000).describe("no frame for this long → reconnect"),
  CONNECT_TIMEOUT_MS: v.duration().default(10_000).describe("an upstream WebSocket not open within this long is a failed attempt"),
  RECONNECT_BASE_MS: v.duration().default(1_000).describe("first reconnect delay (exponential backoff)"),
  RECONNECT_MAX_MS: v.duration().default(30_000).describe("longest reconnect delay"),
  BREAKER_FAILURES: v.int(1).default(5).describe("consecutive failed connects to a venue that open its circuit breaker (shared by its connections)"),
  BREAKER_HALF_OPEN_MS: v.duration().default(60_000).describe("an open breaker lets one attempt through after this long"),
  BAD_FRAME_LOG_MS: v.duration().default(10_000).describe("at most one bad-frame log line per interval"),
  MAX_CLOCK_SKEW_MS: v.duration().default(5_000).describe("an exchange time further than this from the receive time is counted and replaced by the receive time"),
  ACK_TIMEOUT_MS: v.duration().default(10_000).describe("a subscribe not confirmed by the venue within this long is reported as refused"),
  PRODUCTS_REFRESH_MS: v.duration().default(300_000).describe("re-read the venues' product lists this often (listings and delistings without a restart); 0 = never"),
  BOOKS: v.bool().default(true).describe("keep order books (Binance diff depth + REST snapshots; Coinbase Advanced Trade level2)"),
  TRADES: v.bool().default(true).describe("subscribe to trades (Binance @trade / @aggTrade) and publish md.trade.<venue>.<symbol>"),
  BOOK_INTERVAL_MS: v.duration().default(1_000).describe("md.book snapshots of each order book this often"),
  BOOK_DEPTH: v.int(1, 5000).default(20).describe("levels per side in md.book snapshots"),
  BOOK_SNAPSHOT_LIMIT: v.int(5, 5000).default(1000).describe("limit= of the REST depth snapshot"),
  BOOK_SNAPSHOT_CONCURRENCY: v.int(1, 64).default(1).describe("REST snapshots in flight; 1 so that nothing is already on its way when a 429 arrives"),
  BINANCE_WEIGHT_SHARE: v.num(0.01, 1).default(0.8).describe("share of Binance's REST weight limit (Spot 6,000/min, USD-M 2,400/min) one host's shards may use"),
  BINANCE_MAX_SESSION_MS: v.duration().default(86_400_000).describe("Binance cuts a connection after 24 h; each connection reconnects itself at a spread 80-95 % of this"),
  BINANCE_MIN_BAN_MS: v.duration().default(120_000).describe("back-off after an HTTP 418 ban when Retry-After asks for less"),
  FRAME_TURN_BUDGET_MS: v.int(1, 10_000).default(20).describe("ms of upstream frames per event-loop turn; past it sockets pause until timers and other I/O had their turn (lease renewals stay on time under overload)"),
  PUBLISH_LINGER_MS: v.duration().default(20).describe("ticks (and trades) of one symbol wait this long to share a message: 20 ms puts ~6 ticks in a message at 300 ticks/s per symbol (5 ms: 1.5), cutting the shard's and nats-server's CPU per tick"),
  PUBLISH_MAX_BATCH: v.int(1, 10_000).default(200).describe("ticks in one published message at most"),
  INGEST_FAULT: z.string().regex(/^(drop|duplicate):\d+$/, "drop:<ms> or duplicate:<ms>").optional()
    .describe("tests only: <ms> after its first tick the publisher drops one tick message (drop) or stores one twice (duplicate), so loss and duplicate checks can be seen to fail"),
  VALIDATE_PUBLISHED: v.bool().default(false).describe("debug: check every published trade against its bus schema first"),
  PUBLISH_MAX_IN_FLIGHT: v.int(1, 100_000).default(8192).describe("JetStream publishes awaiting their ack (not counting retries waiting out their backoff); while a leader election swallows acks (5 s ack timeout), what a shard sends before new ticks queue"),
  PUBLISH_HOLD_BYTES: v.bytes().pipe(z.number().int().min(1024)).default(64 * 1024 * 1024).describe("bytes a shard holds for JetStream while NATS is unreachable; beyond it new ticks are dropped and reported as md.gap"),
  COINGECKO_INTERVAL_MS: v.duration().default(60_000).describe("poll period (30-90 s against the real API)"),
  COINGECKO_PER_PAGE: v.int(1, 250).default(250).describe("coins per /coins/markets page"),
  COINGECKO_PAGES: v.int(1, 40).default(1).describe("pages read per poll"),
  COINGECKO_VS: z.string().regex(/^[a-z]{3,5}$/).default("usd").describe("quote currency (vs_currency)"),
  COINGECKO_RATE_PER_MIN: v.num(0.1, 10_000).default(30).describe("CoinGecko calls per minute at most"),
  COINGECKO_BACKOFF_MS: v.duration().default(5_000).describe("first retry delay; doubles (5/10/20 s)"),
  COINGECKO_ATTEMPTS: v.int(1, 10).default(3).describe("tries per page request (with COINGECKO_BACKOFF_MS between)"),
  COINGECKO_BREAKER_FAILURES: v.int(1).default(5).describe("consecutive failed CoinGecko requests (after their retries) that open the poller's circuit breaker"),
  COINGECKO_BREAKER_HALF_OPEN_MS: v.duration().default(60_000).describe("an open poller breaker lets one poll through after this long"),
};

export type IngestSettings = z.infer<z.ZodObject<typeof ingestSettings>>;

export interface VenueEndpoint {
  venue: ExchangeVenue;
  wsUrl: string;
  restUrl?: string;
  /** Coinbase only: which WebSocket API `wsUrl` speaks. */
  api?: "exchange" | "advanced";
}

const REAL = {
  coinbase: "wss://ws-feed.exchange.coinbase.com",
  coinbaseAdvanced: "wss://advanced-trade-ws.coinbase.com",
  coinbaseRest: "https://api.exchange.coinbase.com",
  binanceWs: "wss://stream.binance.com:9443/stream",
  binanceRest: "https://api.binance.com",
  usdmWs: "wss://fstream.binance.com",
  usdmRest: "https://fapi.binance.com",
  coingecko: "https://api.coingecko.com/api/v3",
};

function wsOf(httpBase: string, path: string): string {
  const u = new URL(httpBase);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = u.pathname.replace(/\/$/, "") + path;
  return u.toString();
}
const join = (base: string, path: string) => base.replace(/\/$/, "") + path;

/** Whether FEED points the venues at the simulator. */
export function isSimFeed(s: Pick<IngestSettings, "FEED">): boolean {
  return s.FEED.includes("sim");
}

/** The exchange venues FEED names, in a fixed order. */
export function feedVenues(s: Pick<IngestSettings, "FEED">): ExchangeVenue[] {
  const f = new Set(s.FEED);
  const named = (["coinbase", "binance", "binance-usdm"] as const).filter((x) => f.has(x) || f.has("all"));
  if (named.length === 0 && f.has("sim")) return ["coinbase", "binance"];
  return named;
}

/** `wss://fstream.binance.com` → `wss://fstream.binance.com/stream` (a URL already ending in /stream is kept). */
function combinedStreamUrl(base: string): string {
  const u = new URL(base);
  if (!/\/stream\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/$/, "") + "/stream";
  return u.toString();
}

/** The venues a FEED reads and their endpoints (explicit URLs win). */
export function venueEndpoints(s: IngestSettings): VenueEndpoint[] {
  const sim = isSimFeed(s);
  const venues = feedVenues(s);
  const out: VenueEndpoint[] = [];
  if (venues.includes("coinbase")) {
    const advanced = s.COINBASE_API === "advanced";
    out.push({
      venue: "coinbase",
      wsUrl: advanced
        ? s.COINBASE_ADVANCED_WS_URL ?? (sim ? wsOf(s.SIM_URL, "/coinbase-advanced") : REAL.coinbaseAdvanced)
        : s.COINBASE_WS_URL ?? (sim ? wsOf(s.SIM_URL, "/coinbase") : REAL.coinbase),
      restUrl: s.COINBASE_REST_URL ?? (sim ? s.SIM_URL : REAL.coinbaseRest),
      api: s.COINBASE_API,
    });
  }
  if (venues.includes("binance-usdm")) {
    out.push({
      venue: "binance-usdm",
      wsUrl: combinedStreamUrl(s.BINANCE_USDM_WS_URL ?? (sim ? wsOf(s.SIM_URL, "/fstream") : REAL.usdmWs)),
      restUrl: s.BINANCE_USDM_REST_URL ?? (sim ? s.SIM_URL : REAL.usdmRest),
    });
  }
  if (venues.includes("binance")) {
    out.push({
      venue: "binance",
      wsUrl: s.BINANCE_WS_URL ?? (sim ? wsOf(s.SIM_URL, "/stream") : REAL.binanceWs),
      restUrl: s.BINANCE_REST_URL ?? (sim ? s.SIM_URL : REAL.binanceRest),
    });
  }
  return out;
}

export function coingeckoUrl(s: IngestSettings): string {
  return s.COINGECKO_URL ?? (isSimFeed(s) ? join(s.SIM_URL, "/api/v3") : REAL.coingecko);
}
