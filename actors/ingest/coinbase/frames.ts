/**
 * Zod schemas of the Coinbase Exchange WebSocket frames the shard reads and writes
 * (ticker and heartbeat channels; subscriptions and error replies). Prices arrive as
 * decimal strings and are turned into numbers here, so a frame that passes is usable.
 */
import { z } from "zod";

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?$/;
/**
 * A decimal string (validated here, turned into a number by the normaliser with
 * `Number()`, which the pattern makes exact). A check rather than a zod transform
 * keeps zod on its compiled fast path: this runs for ~10 fields of 50,000 frames/s.
 */
export const decimal = z.string().regex(DECIMAL, "a decimal string");
/** An ISO-8601 UTC time such as 2022-10-19T23:28:22.061769Z. */
export const isoTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$/, "an ISO-8601 time");

export const CoinbaseTicker = z.object({
  type: z.literal("ticker"),
  sequence: z.number().int().nonnegative(),
  product_id: z.string().min(1),
  price: decimal,
  open_24h: decimal.optional(),
  volume_24h: decimal.optional(),
  low_24h: decimal.optional(),
  high_24h: decimal.optional(),
  volume_30d: decimal.optional(),
  best_bid: decimal.optional(),
  best_bid_size: decimal.optional(),
  best_ask: decimal.optional(),
  best_ask_size: decimal.optional(),
  side: z.enum(["buy", "sell"]).optional(),
  time: isoTime.optional(),
  trade_id: z.number().int().optional(),
  last_size: decimal.optional(),
});
export type CoinbaseTicker = z.infer<typeof CoinbaseTicker>;

export const CoinbaseHeartbeat = z.object({
  type: z.literal("heartbeat"),
  sequence: z.number().int().nonnegative(),
  last_trade_id: z.number().int().optional(),
  product_id: z.string().min(1),
  time: z.string(),
});
export type CoinbaseHeartbeat = z.infer<typeof CoinbaseHeartbeat>;

const Channel = z.union([z.string(), z.object({ name: z.string(), product_ids: z.array(z.string()).optional() })]);

export const CoinbaseSubscriptions = z.object({
  type: z.literal("subscriptions"),
  channels: z.array(z.object({ name: z.string(), product_ids: z.array(z.string()) })),
});
export type CoinbaseSubscriptions = z.infer<typeof CoinbaseSubscriptions>;

export const CoinbaseError = z.object({
  type: z.literal("error"),
  message: z.string(),
  reason: z.string().optional(),
});

/**
 * `matches` channel: one trade; `side` is the maker order's side, so the taker (the
 * aggressor) traded the other way. A `last_match` comes first after subscribing.
 * https://docs.cdp.coinbase.com/exchange/websocket-feed/channels#matches-channel
 */
export const CoinbaseMatch = z.object({
  type: z.enum(["match", "last_match"]),
  trade_id: z.number().int().nonnegative(),
  sequence: z.number().int().nonnegative(),
  time: isoTime,
  product_id: z.string().min(1),
  size: decimal,
  price: decimal,
  side: z.enum(["buy", "sell"]),
});
export type CoinbaseMatch = z.infer<typeof CoinbaseMatch>;

/** Level-2 update (not subscribed by the shard; schema kept so fixtures and tests cover it). */
export const CoinbaseL2Update = z.object({
  type: z.literal("l2update"),
  product_id: z.string(),
  changes: z.array(z.tuple([z.enum(["buy", "sell"]), decimal, decimal])),
  time: z.string(),
});

/** Every frame type the shard understands; other types are counted as ignored. */
export const COINBASE_SCHEMAS = {
  ticker: CoinbaseTicker,
  heartbeat: CoinbaseHeartbeat,
  subscriptions: CoinbaseSubscriptions,
  error: CoinbaseError,
  l2update: CoinbaseL2Update,
  match: CoinbaseMatch,
  last_match: CoinbaseMatch,
} as const;

export const CoinbaseFrame = z.discriminatedUnion("type", [
  CoinbaseTicker,
  CoinbaseHeartbeat,
  CoinbaseSubscriptions,
  CoinbaseError,
  CoinbaseL2Update,
  CoinbaseMatch,
]);
export type CoinbaseFrame = z.infer<typeof CoinbaseFrame>;

/** Client → server: subscribe / unsubscribe. */
export const CoinbaseSubscribe = z.object({
  type: z.enum(["subscribe", "unsubscribe"]),
  product_ids: z.array(z.string()).optional(),
  channels: z.array(Channel),
});
export type CoinbaseSubscribe = z.infer<typeof CoinbaseSubscribe>;

/** Channels the shard subscribes: ticker for data, heartbeat so a quiet product still proves the socket alive. */
export const COINBASE_CHANNELS = ["ticker", "heartbeat"] as const;
/** ...plus matches when trades are on. */
export const COINBASE_CHANNELS_WITH_TRADES = ["ticker", "heartbeat", "matches"] as const;

export function coinbaseSubscribe(type: "subscribe" | "unsubscribe", productIds: readonly string[], trades = false): string {
  return JSON.stringify({ type, product_ids: productIds, channels: trades ? COINBASE_CHANNELS_WITH_TRADES : COINBASE_CHANNELS });
}
