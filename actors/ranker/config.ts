/**
 * Settings of the mover-ranker, by environment variable (validated by loadConfig): each
 * variable's zod schema with its default and description is the one source of the
 * `RankerConfig` type and of the table in actors/ranker/README.md (`npm run docs:config`).
 */
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";

const ms = (min = 0) => v.duration().pipe(z.number().int().min(min));

export const rankerSettings = {
  RANKER_POLL_INTERVAL: ms(10).default(250).describe("how often time-driven outputs (closed windows, movers, partial candles) are checked"),
  RANKER_REPLAY: ms(0).default(120_000).describe("ticks replayed from the MD stream when a new leader starts (covers the open window and minute)"),
  MOVERS_TOP_N: v.int(1, 500).default(10).describe("gainers and losers each in the movers room"),
  TOPCOINS_N: v.int(1, 500).default(20).describe("coins in the topcoins room"),
  MOVERS_MIN_INTERVAL: ms(0).default(1000).describe("movers/topcoins are published when changed at most this often…"),
  MOVERS_MAX_INTERVAL: ms(1000).default(90_000).describe("…and at least this often"),
  ALERT_THRESHOLD_PCT: v.num(0.01, 10_000).default(10).describe("|24 h change| in percent that raises an alert"),
  ALERT_COOLDOWN: ms(0).default(300_000).describe("quiet time per symbol and alert kind, on exchange time"),
  ALLOWED_LATENESS: ms(0).default(5000).describe("watermark lag behind the latest exchange time: how late a tick may be and still count"),
  WATERMARK_IDLE: ms(0).default(5000).describe("when exchange time falls this far behind the wall clock (no ticks), the clock drives the watermark"),
  RANKER_MAX_SKEW: ms(0).default(5000).describe("a tick whose exchange time is more than this ahead of its receive time is counted and gets the receive time"),
  PULSE_WINDOW: ms(1000).default(30_000).describe("length of the pulse room's tumbling windows, on exchange time"),
  CANDLE_PARTIAL_INTERVAL: ms(0).default(10_000).describe("in-progress candle updates (final: false) at most this often; 0 disables them"),
  CANDLE_BACKFILL: v.bool().default(true).describe("fill candle history beyond ROOMLOG from the venues' klines REST (backfill.ts)"),
  CANDLE_BACKFILL_COINBASE_URL: v.url(["http", "https"]).optional()
    .describe("Coinbase candles REST base; default SIM_URL when FEED=sim, else https://api.exchange.coinbase.com"),
  CANDLE_BACKFILL_BINANCE_URL: v.url(["http", "https"]).optional()
    .describe("Binance Spot klines REST base; default SIM_URL when FEED=sim, else BINANCE_REST_URL or https://api.binance.com"),
  CANDLE_BACKFILL_BINANCE_USDM_URL: v.url(["http", "https"]).optional()
    .describe("USD-M futures klines REST base; default SIM_URL when FEED=sim, else https://fapi.binance.com"),
  CANDLE_PREFETCH: v.list().default(["BTC-USD", "ETH-USD", "BTC-USDT", "ETH-USDT"])
    .describe("symbols whose 24 h of 1-minute history is fetched at start-up (so the first chart opens instantly)"),
  RANKER_LEADER_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default("ranker").describe("name of the leader lease in BUCKET.leaders"),
};

export type RankerConfig = z.infer<z.ZodObject<typeof rankerSettings>>;
