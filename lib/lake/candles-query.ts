/**
 * What a lake candle request asks for, checked without DuckDB, so the edge answers a
 * bad `GET /candles` with 400 before loading it (lib/lake/candles.ts runs the query).
 */
import { CANDLE_TIMEFRAMES, type CandleTimeframe } from "../contracts/protocol.ts";
import { isPartitionValue } from "./partition.ts";

/** Candles per request at most (the ranker's MAX_HISTORY). */
export const MAX_LAKE_CANDLES = 1500;
/** Candles per request when the query names no limit: 24 h of minutes. */
export const DEFAULT_LAKE_CANDLES = 1440;
/** At most this much lake time per request (60 days of hours = 1,440 1h candles; 1d candles: 62). */
export const MAX_LAKE_RANGE_MS = 62 * 86_400_000;

export interface LakeCandleQuery {
  symbol: string;
  /** Default "1m". */
  tf?: CandleTimeframe;
  /** Default DEFAULT_LAKE_CANDLES, at most MAX_LAKE_CANDLES. */
  limit?: number;
  /** Only candles that start before this (ms); default: including the period forming now. */
  before?: number;
}

/** The period range [from, to) of a query, as candle starts. Throws a RangeError for a bad query. */
export function lakeCandleRange(q: LakeCandleQuery, now: number): { tf: CandleTimeframe; iv: number; from: number; to: number } {
  if (!isPartitionValue(q.symbol)) throw new RangeError(`candles: not a symbol name: ${JSON.stringify(q.symbol)}`);
  const tf = q.tf ?? "1m";
  if (!Object.hasOwn(CANDLE_TIMEFRAMES, tf)) throw new RangeError(`candles: tf must be one of ${Object.keys(CANDLE_TIMEFRAMES).join(", ")}, got ${JSON.stringify(q.tf)}`);
  const iv = CANDLE_TIMEFRAMES[tf];
  const limit = q.limit ?? DEFAULT_LAKE_CANDLES;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LAKE_CANDLES) {
    throw new RangeError(`candles: limit must be an integer 1..${MAX_LAKE_CANDLES}, got ${limit}`);
  }
  const before = q.before ?? now + 1;
  if (!Number.isFinite(before) || before <= 0) throw new RangeError(`candles: before must be a time in ms, got ${before}`);
  // The period containing `before - 1` is the last one (a candle start as `before` excludes that candle).
  const to = Math.floor((before - 1) / iv) * iv + iv;
  const from = Math.max(0, to - Math.min(limit * iv, Math.floor(MAX_LAKE_RANGE_MS / iv) * iv));
  return { tf, iv, from, to };
}

