/** Settings of the mover-ranker, by environment variable (validated by loadConfig). */
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";

const ms = (min = 0) => v.duration().pipe(z.number().int().min(min));

export const rankerSettings = {
  /** How often time-driven outputs (closed windows, movers, partial candles) are checked. */
  RANKER_POLL_INTERVAL: ms(10).default(250),
  /** Ticks replayed from the MD stream when a new leader starts (covers the open window and minute). */
  RANKER_REPLAY: ms(0).default(120_000),
  MOVERS_TOP_N: v.int(1, 500).default(10),
  TOPCOINS_N: v.int(1, 500).default(20),
  /** movers/topcoins are published when changed at most this often... */
  MOVERS_MIN_INTERVAL: ms(0).default(1000),
  /** ...and at least this often. */
  MOVERS_MAX_INTERVAL: ms(1000).default(90_000),
  /** |24 h change| in percent that raises an alert. */
  ALERT_THRESHOLD_PCT: v.num(0.01, 10_000).default(10),
  /** Per symbol and kind, on exchange time. */
  ALERT_COOLDOWN: ms(0).default(300_000),
  /** Watermark lag behind the latest exchange time: how late a tick may be and still count. */
  ALLOWED_LATENESS: ms(0).default(5000),
  /** When exchange time falls this far behind the wall clock (no ticks), the clock drives the watermark. */
  WATERMARK_IDLE: ms(0).default(5000),
  /** A tick whose exchange time is more than this ahead of its receive time is counted and gets the receive time. */
  RANKER_MAX_SKEW: ms(0).default(5000),
  PULSE_WINDOW: ms(1000).default(30_000),
  /** In-progress candle updates (final: false) at most this often; 0 disables them. */
  CANDLE_PARTIAL_INTERVAL: ms(0).default(10_000),
  /** Fill candle history beyond ROOMLOG from the venues' klines REST (backfill.ts). */
  CANDLE_BACKFILL: v.bool().default(true),
  /** Klines REST bases; default: SIM_URL when FEED=sim, else the venues' public APIs. */
  CANDLE_BACKFILL_COINBASE_URL: v.url(["http", "https"]).optional(),
  CANDLE_BACKFILL_BINANCE_URL: v.url(["http", "https"]).optional(),
  CANDLE_BACKFILL_BINANCE_USDM_URL: v.url(["http", "https"]).optional(),
  /** Symbols whose 24 h of 1-minute history is fetched at start-up (so the first chart opens instantly). */
  CANDLE_PREFETCH: v.list().default(["BTC-USD", "ETH-USD", "BTC-USDT", "ETH-USDT"]),
  /** Name of the leader lease in BUCKET.leaders. */
  RANKER_LEADER_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default("ranker"),
};

export type RankerConfig = z.infer<z.ZodObject<typeof rankerSettings>>;
