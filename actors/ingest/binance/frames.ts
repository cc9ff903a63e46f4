/**
 * Zod schemas of Binance Spot and USD-M futures WebSocket and REST payloads the shard
 * uses: combined-stream envelopes, 24 h tickers, mini tickers, diff-depth events (the
 * futures ones carry `T` and `pu`), trades (spot `trade`, both `aggTrade`), live
 * (un)subscribe replies and the `GET /api/v3/depth` / `GET /fapi/v1/depth` snapshot.
 * Decimal strings become numbers in the normaliser.
 *
 * Sources: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Diff-Book-Depth-Streams,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Aggregate-Trade-Streams
 */
import { z } from "zod";
import { decimal } from "../coinbase/frames.ts";

const level = z.tuple([decimal, decimal]);

/** The fields of a 24 h ticker the shard uses (others, e.g. p/P/w/q/O/C/F/n, are not read and not checked). */
export const BinanceTicker24h = z.object({
  e: z.literal("24hrTicker"),
  E: z.number().int().nonnegative(),
  s: z.string().min(1),
  c: decimal,
  Q: decimal.optional(),
  b: decimal.optional(),
  B: decimal.optional(),
  a: decimal.optional(),
  A: decimal.optional(),
  o: decimal.optional(),
  h: decimal.optional(),
  l: decimal.optional(),
  v: decimal.optional(),
  L: z.number().int().optional(),
});
export type BinanceTicker24h = z.infer<typeof BinanceTicker24h>;

export const BinanceMiniTicker = z.object({
  e: z.literal("24hrMiniTicker"),
  E: z.number().int().nonnegative(),
  s: z.string().min(1),
  c: decimal,
  o: decimal.optional(),
  h: decimal.optional(),
  l: decimal.optional(),
  v: decimal.optional(),
});
export type BinanceMiniTicker = z.infer<typeof BinanceMiniTicker>;

export const BinanceDepthUpdate = z.object({
  e: z.literal("depthUpdate"),
  E: z.number().int().nonnegative(),
  s: z.string().min(1),
  U: z.number().int().nonnegative(),
  u: z.number().int().nonnegative(),
  /** USD-M futures only: transaction time and the previous event's final update id. */
  T: z.number().int().nonnegative().optional(),
  pu: z.number().int().optional(),
  b: z.array(level),
  a: z.array(level),
});
export type BinanceDepthUpdate = z.infer<typeof BinanceDepthUpdate>;

export const BinanceKline = z.object({
  e: z.literal("kline"),
  E: z.number().int(),
  s: z.string(),
  k: z.object({ t: z.number().int(), T: z.number().int(), s: z.string(), i: z.string(), o: decimal, c: decimal, h: decimal, l: decimal, v: decimal, x: z.boolean() }).loose(),
});

/** Spot `<symbol>@trade`: one trade; `m` = the buyer was the maker (so the taker sold). */
export const BinanceTrade = z.object({
  e: z.literal("trade"),
  E: z.number().int().nonnegative(),
  s: z.string().min(1),
  t: z.number().int().nonnegative(),
  p: decimal,
  q: decimal,
  T: z.number().int().nonnegative(),
  m: z.boolean(),
});
export type BinanceTrade = z.infer<typeof BinanceTrade>;

/** `<symbol>@aggTrade` (spot and USD-M futures): fills of one taker order at one price. */
export const BinanceAggTrade = z.object({
  e: z.literal("aggTrade"),
  E: z.number().int().nonnegative(),
  s: z.string().min(1),
  a: z.number().int().nonnegative(),
  p: decimal,
  q: decimal,
  f: z.number().int().optional(),
  l: z.number().int().optional(),
  T: z.number().int().nonnegative(),
  m: z.boolean(),
});
export type BinanceAggTrade = z.infer<typeof BinanceAggTrade>;

/** A market event, by its `e` field. */
export const BinanceEvent = z.discriminatedUnion("e", [BinanceTicker24h, BinanceMiniTicker, BinanceDepthUpdate, BinanceKline, BinanceTrade, BinanceAggTrade]);
export type BinanceEvent = z.infer<typeof BinanceEvent>;

/** What arrives on `/stream`: an envelope naming the stream, or a reply to a request. */
export const BinanceCombined = z.object({ stream: z.string(), data: BinanceEvent });
export const BinanceReply = z.object({ result: z.unknown(), id: z.union([z.number(), z.string()]) });
export const BinanceErrorReply = z.object({
  error: z.object({ code: z.number(), msg: z.string() }),
  id: z.union([z.number(), z.string(), z.null()]).optional(),
});
export const BinanceFrame = z.union([BinanceCombined, BinanceReply, BinanceErrorReply]);
export const BINANCE_EVENTS = {
  "24hrTicker": BinanceTicker24h,
  "24hrMiniTicker": BinanceMiniTicker,
  depthUpdate: BinanceDepthUpdate,
  kline: BinanceKline,
  trade: BinanceTrade,
  aggTrade: BinanceAggTrade,
} as const;
export type BinanceFrame = z.infer<typeof BinanceFrame>;

/** `GET /api/v3/depth` response (`GET /fapi/v1/depth` adds `E` and `T`). */
export const BinanceDepthSnapshot = z.object({
  lastUpdateId: z.number().int().nonnegative(),
  bids: z.array(level),
  asks: z.array(level),
});
export type BinanceDepthSnapshot = z.infer<typeof BinanceDepthSnapshot>;

export const BinanceRequest = z.object({
  method: z.enum(["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS"]),
  params: z.array(z.string()).optional(),
  id: z.number().int(),
});

export function binanceRequest(method: "SUBSCRIBE" | "UNSUBSCRIBE", params: readonly string[], id: number): string {
  return JSON.stringify({ method, params, id });
}
