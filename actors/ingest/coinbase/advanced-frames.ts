/**
 * Zod schemas of the Coinbase Advanced Trade market-data WebSocket
 * (wss://advanced-trade-ws.coinbase.com): every message is an envelope
 * `{channel, client_id, timestamp, sequence_num, events: [...]}` whose events depend
 * on the channel (ticker, market_trades, l2_data, heartbeats, subscriptions). Examples:
 * test/fixtures/coinbase-advanced/ (with their source URLs).
 *
 * Client → server: one channel per subscribe message ("You can only subscribe to one
 * channel per subscription message"), `jwt` optional for market data.
 */
import { z } from "zod";
import { decimal, isoTime } from "./frames.ts";

/** Coinbase prints nanoseconds (2023-02-09T20:30:37.167359596Z); Date.parse reads the milliseconds. */
export const AdvancedEnvelope = z.object({
  channel: z.string(),
  client_id: z.string().optional(),
  timestamp: isoTime,
  sequence_num: z.number().int().nonnegative(),
  events: z.array(z.unknown()),
});
export type AdvancedEnvelope = z.infer<typeof AdvancedEnvelope>;

export const AdvancedTicker = z.object({
  type: z.literal("ticker"),
  product_id: z.string().min(1),
  price: decimal,
  volume_24_h: decimal.optional(),
  low_24_h: decimal.optional(),
  high_24_h: decimal.optional(),
  low_52_w: decimal.optional(),
  high_52_w: decimal.optional(),
  price_percent_chg_24_h: decimal.optional(),
  best_bid: decimal.optional(),
  best_bid_quantity: decimal.optional(),
  best_ask: decimal.optional(),
  best_ask_quantity: decimal.optional(),
});
export type AdvancedTicker = z.infer<typeof AdvancedTicker>;

export const AdvancedTickerEvent = z.object({ type: z.enum(["snapshot", "update"]), tickers: z.array(AdvancedTicker) });

/** `side` as documented: upper case; it is the maker's side, as on the Exchange feed (see normaliser). */
export const AdvancedTrade = z.object({
  trade_id: z.string().min(1),
  product_id: z.string().min(1),
  price: decimal,
  size: decimal,
  side: z.enum(["BUY", "SELL"]),
  time: isoTime,
});
export type AdvancedTrade = z.infer<typeof AdvancedTrade>;

export const AdvancedTradesEvent = z.object({ type: z.enum(["snapshot", "update"]), trades: z.array(AdvancedTrade) });

export const AdvancedL2Update = z.object({
  side: z.enum(["bid", "offer"]),
  event_time: isoTime,
  price_level: decimal,
  new_quantity: decimal,
});
export const AdvancedL2Event = z.object({ type: z.enum(["snapshot", "update"]), product_id: z.string().min(1), updates: z.array(AdvancedL2Update) });
export type AdvancedL2Event = z.infer<typeof AdvancedL2Event>;

/** `heartbeat_counter` is a string in the prose example and an integer in Coinbase's AsyncAPI file: both are read. */
export const AdvancedHeartbeatEvent = z.object({
  current_time: z.string(),
  heartbeat_counter: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]),
});

export const AdvancedSubscriptionsEvent = z.object({ subscriptions: z.record(z.string(), z.array(z.string())) });

/** Error replies (a bad request, a failed subscribe). */
export const AdvancedError = z.object({ type: z.literal("error"), message: z.string(), reason: z.string().optional() });

/** Channels Tickflow subscribes: ticker for data, heartbeats to keep the socket open; market_trades when trades are on, level2 when books are. */
export function advancedChannels(trades: boolean, books: boolean): string[] {
  return ["ticker", ...(trades ? ["market_trades"] : []), ...(books ? ["level2"] : []), "heartbeats"];
}

/** One message per channel; a `jwt` (optional for market data) is added when a signer is given — a fresh one per message. */
export function advancedSubscribe(
  type: "subscribe" | "unsubscribe",
  productIds: readonly string[],
  channels: readonly string[],
  jwt?: () => string,
): string[] {
  return channels.map((channel) => JSON.stringify(jwt ? { type, product_ids: productIds, channel, jwt: jwt() } : { type, product_ids: productIds, channel }));
}
