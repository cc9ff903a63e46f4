/**
 * Simulator settings: environment variables (validated by lib/platform/config.ts
 * `loadConfig`) and the equivalent options of `startSimulator`.
 */
import { z } from "zod";
import { loadConfig, v } from "../lib/platform/config.ts";

const ms = () => v.duration().pipe(z.number().int().min(1));

/** Environment variables of the simulator, with their defaults. */
export const simulatorSettings = {
  SIM_PORT: v.int(0, 65535).default(8790).describe("listen port; 0 = any free port"),
  SIM_HOST: z.string().min(1).default("127.0.0.1"),
  SIM_SEED: v.int(0, 2 ** 32 - 1).default(42).describe("PRNG seed: same seed, same universe and price sequences"),
  SIM_SYMBOLS: v.int(1, 20_000).default(500).describe("number of products"),
  SIM_TICK_RATE: v.int(1, 1_000_000).default(1000).describe("total ticks per second over the subscribed products"),
  SIM_BATCH_MS: v.int(1, 1000).default(10).describe("tick generation timer period"),
  SIM_COINBASE_MSG_LIMIT: v.int(1, 100_000).default(8).describe("incoming Coinbase messages per second before disconnect"),
  SIM_COINBASE_LIMIT_SCOPE: z.enum(["connection", "ip"]).default("connection"),
  SIM_SUBSCRIBE_TIMEOUT_MS: ms().default(5000).describe("Coinbase: disconnect if no subscribe within this time"),
  SIM_HEARTBEAT_MS: ms().default(1000).describe("Coinbase heartbeat period"),
  SIM_BINANCE_MSG_LIMIT: v.int(1, 100_000).default(5).describe("incoming Binance messages (incl. ping/pong) per second"),
  SIM_BINANCE_MAX_STREAMS: v.int(1, 100_000).default(1024),
  SIM_BINANCE_PING_MS: ms().default(20_000),
  SIM_BINANCE_PONG_TIMEOUT_MS: ms().default(60_000),
  SIM_BINANCE_WEIGHT_LIMIT: v.int(1, 10_000_000).default(6000).describe("Binance Spot REST weight per minute before 429"),
  SIM_BINANCE_USDM_WEIGHT_LIMIT: v.int(1, 10_000_000).default(2400).describe("USD-M futures REST weight per minute before 429"),
  SIM_BINANCE_WS_CONN_LIMIT: v.int(1, 1_000_000).default(300).describe("Binance WebSocket handshakes per window per IP (Spot and USD-M each) before HTTP 429"),
  SIM_BINANCE_WS_CONN_WINDOW_MS: ms().default(300_000).describe("the window of SIM_BINANCE_WS_CONN_LIMIT (Binance: 5 min)"),
  SIM_COINBASE_JWT_KEYS: z.string().default("").describe("Advanced Trade: JSON {\"<CDP key name>\": \"<EC public key PEM>\"} whose ES256 JWTs the simulator accepts; a subscribe with any other jwt is refused"),
  SIM_BINANCE_BAN_MS: ms().default(120_000).describe("first 418 ban after requests sent before Retry-After passed (doubles per ban)"),
  SIM_BINANCE_USDM_PING_MS: ms().default(180_000).describe("USD-M futures server ping period (fstream: 3 min)"),
  SIM_BINANCE_USDM_PONG_TIMEOUT_MS: ms().default(600_000).describe("USD-M futures pong deadline (fstream: 10 min)"),
  SIM_BINANCE_MAX_SESSION_MS: ms().default(86_400_000).describe("Binance (Spot and USD-M) closes every connection at this age (24 h)"),
  SIM_BOOK_HISTORY: v.int(0, 1_000_000).default(0).describe("keep each followed book after its last N updates, for /_sim/book?at= (tests)"),
  SIM_COINGECKO_RPM: v.int(1, 1_000_000).default(30).describe("CoinGecko calls per minute before 429"),
  SIM_MAX_BUFFERED_BYTES: v.int(1024).default(64 * 1024 * 1024).describe("cut a WebSocket client with more unsent bytes than this"),
};

export interface SimulatorOptions {
  /** Default 0 (any free port) when started programmatically; 8790 from the environment. */
  port?: number;
  host?: string;
  seed?: number;
  symbols?: number;
  tickRate?: number;
  batchMs?: number;
  coinbaseMsgLimit?: number;
  coinbaseLimitScope?: "connection" | "ip";
  subscribeTimeoutMs?: number;
  heartbeatMs?: number;
  binanceMsgLimit?: number;
  binanceMaxStreams?: number;
  binancePingMs?: number;
  binancePongTimeoutMs?: number;
  binanceWeightLimit?: number;
  binanceUsdmWeightLimit?: number;
  binanceBanMs?: number;
  /** JSON object: CDP key name → EC public key PEM (SIM_COINBASE_JWT_KEYS). */
  coinbaseJwtKeys?: string;
  binanceWsConnLimit?: number;
  binanceWsConnWindowMs?: number;
  binanceUsdmPingMs?: number;
  binanceUsdmPongTimeoutMs?: number;
  bookHistory?: number;
  binanceMaxSessionMs?: number;
  coingeckoRpm?: number;
  maxBufferedBytes?: number;
}

export type ResolvedOptions = Required<SimulatorOptions>;

/** Which environment variable each option mirrors. */
const ENV_OF = {
  port: "SIM_PORT",
  host: "SIM_HOST",
  seed: "SIM_SEED",
  symbols: "SIM_SYMBOLS",
  tickRate: "SIM_TICK_RATE",
  batchMs: "SIM_BATCH_MS",
  coinbaseMsgLimit: "SIM_COINBASE_MSG_LIMIT",
  coinbaseLimitScope: "SIM_COINBASE_LIMIT_SCOPE",
  subscribeTimeoutMs: "SIM_SUBSCRIBE_TIMEOUT_MS",
  heartbeatMs: "SIM_HEARTBEAT_MS",
  binanceMsgLimit: "SIM_BINANCE_MSG_LIMIT",
  binanceMaxStreams: "SIM_BINANCE_MAX_STREAMS",
  binancePingMs: "SIM_BINANCE_PING_MS",
  binancePongTimeoutMs: "SIM_BINANCE_PONG_TIMEOUT_MS",
  binanceWeightLimit: "SIM_BINANCE_WEIGHT_LIMIT",
  binanceUsdmWeightLimit: "SIM_BINANCE_USDM_WEIGHT_LIMIT",
  binanceBanMs: "SIM_BINANCE_BAN_MS",
  coinbaseJwtKeys: "SIM_COINBASE_JWT_KEYS",
  binanceWsConnLimit: "SIM_BINANCE_WS_CONN_LIMIT",
  binanceWsConnWindowMs: "SIM_BINANCE_WS_CONN_WINDOW_MS",
  binanceUsdmPingMs: "SIM_BINANCE_USDM_PING_MS",
  binanceUsdmPongTimeoutMs: "SIM_BINANCE_USDM_PONG_TIMEOUT_MS",
  bookHistory: "SIM_BOOK_HISTORY",
  binanceMaxSessionMs: "SIM_BINANCE_MAX_SESSION_MS",
  coingeckoRpm: "SIM_COINGECKO_RPM",
  maxBufferedBytes: "SIM_MAX_BUFFERED_BYTES",
} as const satisfies Record<keyof SimulatorOptions, keyof typeof simulatorSettings>;

/**
 * Options from environment variables (default: the process environment).
 * @throws ConfigError naming every bad variable.
 */
export function optionsFromEnv(env?: Record<string, string | undefined>): ResolvedOptions {
  const c = loadConfig(simulatorSettings, env);
  const out: Record<string, unknown> = {};
  for (const [opt, name] of Object.entries(ENV_OF)) out[opt] = c[name];
  return out as ResolvedOptions;
}

/**
 * Options with every default filled in, checked by the same rules as the variables
 * (the port defaults to 0 here: any free port).
 * @throws ConfigError naming the variable of each bad option.
 */
export function resolveOptions(o: SimulatorOptions = {}): ResolvedOptions {
  const env: Record<string, string | undefined> = { SIM_PORT: "0" };
  for (const [opt, name] of Object.entries(ENV_OF)) {
    const val = o[opt as keyof SimulatorOptions];
    if (val !== undefined) env[name] = String(val);
  }
  return optionsFromEnv(env);
}
