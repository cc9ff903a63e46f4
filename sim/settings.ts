/**
 * Simulator settings: environment variables (validated by lib/platform/config.ts
 * `loadConfig`) and the equivalent options of `startSimulator`.
 */
import { z } from "zod";
import { field, fieldShape, fieldValues, type FieldValues, loadConfig, v } from "../lib/platform/config.ts";

const ms = () => v.duration().pipe(z.number().int().min(1));

/**
 * Every simulator setting once: option name → variable, zod schema with default and
 * description. The variable shape (`simulatorSettings`), the option types and the
 * option ↔ variable mapping derive from it, and so does the table in sim/README.md.
 */
export const simulatorFields = {
  port: field("SIM_PORT", v.int(0, 65535).default(8790).describe("listen port; 0 = any free port (startSimulator defaults to 0)")),
  host: field("SIM_HOST", z.string().min(1).default("127.0.0.1").describe("listen address")),
  seed: field("SIM_SEED", v.int(0, 2 ** 32 - 1).default(42).describe("PRNG seed: same seed, same universe and price sequences")),
  symbols: field("SIM_SYMBOLS", v.int(1, 20_000).default(500).describe("number of products (1..20000)")),
  tickRate: field("SIM_TICK_RATE", v.int(1, 1_000_000).default(1000).describe("total ticks per second over the subscribed products")),
  batchMs: field("SIM_BATCH_MS", v.int(1, 1000).default(10).describe("tick generation timer period")),
  coinbaseMsgLimit: field("SIM_COINBASE_MSG_LIMIT", v.int(1, 100_000).default(8).describe("incoming Coinbase messages per second before disconnect")),
  coinbaseLimitScope: field("SIM_COINBASE_LIMIT_SCOPE", z.enum(["connection", "ip"]).default("connection")
    .describe("scope of the Coinbase message limit: connection or ip")),
  subscribeTimeoutMs: field("SIM_SUBSCRIBE_TIMEOUT_MS", ms().default(5000).describe("Coinbase: disconnect if no subscribe within this time")),
  heartbeatMs: field("SIM_HEARTBEAT_MS", ms().default(1000).describe("Coinbase heartbeat period")),
  binanceMsgLimit: field("SIM_BINANCE_MSG_LIMIT", v.int(1, 100_000).default(5).describe("incoming Binance messages (incl. ping/pong) per second")),
  binanceMaxStreams: field("SIM_BINANCE_MAX_STREAMS", v.int(1, 100_000).default(1024).describe("streams per Binance connection")),
  binancePingMs: field("SIM_BINANCE_PING_MS", ms().default(20_000).describe("Binance Spot server ping period")),
  binancePongTimeoutMs: field("SIM_BINANCE_PONG_TIMEOUT_MS", ms().default(60_000).describe("Binance Spot pong deadline: no pong this long cuts the socket")),
  binanceWeightLimit: field("SIM_BINANCE_WEIGHT_LIMIT", v.int(1, 10_000_000).default(6000).describe("Binance Spot REST weight per minute before 429")),
  binanceUsdmWeightLimit: field("SIM_BINANCE_USDM_WEIGHT_LIMIT", v.int(1, 10_000_000).default(2400)
    .describe("USD-M futures REST weight per minute before 429")),
  binanceBanMs: field("SIM_BINANCE_BAN_MS", ms().default(120_000)
    .describe("first 418 ban after requests sent before Retry-After passed (doubles per ban)")),
  binanceWsConnLimit: field("SIM_BINANCE_WS_CONN_LIMIT", v.int(1, 1_000_000).default(300)
    .describe("Binance WebSocket handshakes per window per IP (Spot and USD-M each) before HTTP 429")),
  binanceWsConnWindowMs: field("SIM_BINANCE_WS_CONN_WINDOW_MS", ms().default(300_000).describe("the window of SIM_BINANCE_WS_CONN_LIMIT (Binance: 5 min)")),
  coinbaseJwtKeys: field("SIM_COINBASE_JWT_KEYS", z.string().default("")
    .describe("Advanced Trade: JSON {\"<CDP key name>\": \"<EC public key PEM>\"} whose ES256 JWTs the simulator accepts; a subscribe with any other jwt is refused")),
  binanceUsdmPingMs: field("SIM_BINANCE_USDM_PING_MS", ms().default(180_000).describe("USD-M futures server ping period (fstream: 3 min)")),
  binanceUsdmPongTimeoutMs: field("SIM_BINANCE_USDM_PONG_TIMEOUT_MS", ms().default(600_000).describe("USD-M futures pong deadline (fstream: 10 min)")),
  binanceMaxSessionMs: field("SIM_BINANCE_MAX_SESSION_MS", ms().default(86_400_000)
    .describe("Binance (Spot and USD-M) closes every connection at this age (24 h)")),
  bookHistory: field("SIM_BOOK_HISTORY", v.int(0, 1_000_000).default(0)
    .describe("keep each followed book after its last N updates, for /_sim/book?at= (tests)")),
  coingeckoRpm: field("SIM_COINGECKO_RPM", v.int(1, 1_000_000).default(30).describe("CoinGecko calls per minute before 429")),
  maxBufferedBytes: field("SIM_MAX_BUFFERED_BYTES", v.int(1024).default(64 * 1024 * 1024)
    .describe("cut a WebSocket client with more unsent bytes than this (slow consumer)")),
};

/** Environment variables of the simulator, with their defaults. */
export const simulatorSettings = fieldShape(simulatorFields);

/** Every option with its default filled in. */
export type ResolvedOptions = FieldValues<typeof simulatorFields>;

/** Options of `startSimulator`; each mirrors its variable (the port defaults to 0 there: any free port). */
export type SimulatorOptions = Partial<ResolvedOptions>;

/**
 * Options from environment variables (default: the process environment).
 * @throws ConfigError naming every bad variable.
 */
export function optionsFromEnv(env?: Record<string, string | undefined>): ResolvedOptions {
  return fieldValues(simulatorFields, loadConfig(simulatorSettings, env));
}

/**
 * Options with every default filled in, checked by the same rules as the variables
 * (the port defaults to 0 here: any free port).
 * @throws ConfigError naming the variable of each bad option.
 */
export function resolveOptions(o: SimulatorOptions = {}): ResolvedOptions {
  const env: Record<string, string | undefined> = { SIM_PORT: "0" };
  for (const [opt, f] of Object.entries(simulatorFields)) {
    const val = o[opt as keyof SimulatorOptions];
    if (val !== undefined) env[f.env] = String(val);
  }
  return optionsFromEnv(env);
}
