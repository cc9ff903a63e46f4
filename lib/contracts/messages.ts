/**
 * Zod schemas and inferred types of every message on the bus.
 *
 * Each message carries a schema version `v`. Readers accept every version they know
 * (a union), writers write the newest; so old and new actors can run side by side
 * during a rolling upgrade. Add a new version as a new literal, never change one.
 */
import { z } from "zod";

const num = z.number().finite();
const ms = z.number().int().nonnegative();

/** One normalised tick, the same for every venue. Prices are numbers (float64). */
export const Tick = z.object({
  venue: z.string().min(1),
  symbol: z.string().min(1),
  price: num,
  bid: num.optional(),
  ask: num.optional(),
  bidSize: num.optional(),
  askSize: num.optional(),
  open24h: num.optional(),
  high24h: num.optional(),
  low24h: num.optional(),
  volume24h: num.optional(),
  /** Size of the last trade, when the venue reports it. */
  lastSize: num.optional(),
  /** Exchange time, ms since the epoch. */
  exchTs: ms,
  /** Time the shard received the frame, ms since the epoch. */
  recvTs: ms,
  /** Venue sequence number of the frame, per product. */
  seq: z.number().int().nonnegative(),
});
export type Tick = z.infer<typeof Tick>;

/**
 * A batch of ticks of one symbol, published to `md.tick.<venue>.<symbol>`. A shard may
 * put several ticks of the same symbol in one message to reach its throughput target;
 * the message id names the batch (see {@link msgIds.ticks}).
 */
export const TickBatchV1 = z.object({ v: z.literal(1), ticks: z.array(Tick).min(1) });
export const TickBatch = z.discriminatedUnion("v", [TickBatchV1]);
export type TickBatch = z.infer<typeof TickBatch>;

/** One trade (a match) as the venue reported it. */
export const Trade = z.object({
  venue: z.string().min(1),
  /** `spot`, or `usdm` for Binance USD-M futures. */
  market: z.string().default("spot"),
  symbol: z.string().min(1),
  price: num.positive(),
  size: num.positive(),
  /** Taker side: `buy` when the aggressor bought. */
  side: z.enum(["buy", "sell"]),
  /** The venue's trade id (Coinbase `trade_id`, Binance `t` / aggTrade `a`), as a string. */
  tradeId: z.string().min(1),
  /** Exchange time, ms since the epoch. */
  exchTs: ms,
  /** Time the shard received the frame, ms since the epoch. */
  recvTs: ms,
});
export type Trade = z.infer<typeof Trade>;

/** A batch of trades of one symbol, published to `md.trade.<venue>.<symbol>`. */
export const TradeBatchV1 = z.object({ v: z.literal(1), trades: z.array(Trade).min(1) });
export const TradeBatch = z.discriminatedUnion("v", [TradeBatchV1]);
export type TradeBatch = z.infer<typeof TradeBatch>;

export const BookLevel = z.object({
  side: z.enum(["bid", "ask"]),
  price: num,
  qty: num,
  /** 0 is the best level. */
  level: z.number().int().nonnegative(),
});
export type BookLevel = z.infer<typeof BookLevel>;

/** Flattened top-of-book levels at an instant, published to `md.book.<venue>.<symbol>`. */
export const BookSnapshotV1 = z.object({
  v: z.literal(1),
  venue: z.string(),
  market: z.string().default("spot"),
  symbol: z.string(),
  ts: ms,
  lastUpdateId: z.number().int().nonnegative(),
  levels: z.array(BookLevel),
});
export const BookSnapshot = z.discriminatedUnion("v", [BookSnapshotV1]);
export type BookSnapshot = z.infer<typeof BookSnapshot>;

/** A raw diff event (Binance `depthUpdate`), published to `md.bookdelta.<venue>.<symbol>`. */
export const BookDeltaV1 = z.object({
  v: z.literal(1),
  venue: z.string(),
  market: z.string().default("spot"),
  symbol: z.string(),
  ts: ms,
  firstUpdateId: z.number().int().nonnegative(),
  lastUpdateId: z.number().int().nonnegative(),
  bids: z.array(z.tuple([num, num])),
  asks: z.array(z.tuple([num, num])),
});
export const BookDelta = z.discriminatedUnion("v", [BookDeltaV1]);
export type BookDelta = z.infer<typeof BookDelta>;

/** A CoinGecko market snapshot of one coin, published to `md.market.<coin id>`. */
export const MarketSnapshotV1 = z.object({
  v: z.literal(1),
  coin: z.string(),
  /** Upper-case ticker, e.g. BTC. */
  symbol: z.string(),
  name: z.string().optional(),
  rank: z.number().int().positive().nullable(),
  price: num.nullable(),
  marketCap: num.nullable(),
  volume24h: num.nullable(),
  change24hPct: num.nullable(),
  /** Hourly prices over the last 24 h, oldest first (CoinGecko's `sparkline_in_7d` tail); absent when not asked. */
  spark24h: z.array(num).max(48).optional(),
  ts: ms,
  source: z.string().default("coingecko"),
});
export const MarketSnapshot = z.discriminatedUnion("v", [MarketSnapshotV1]);
export type MarketSnapshot = z.infer<typeof MarketSnapshot>;

/** A sequence gap a shard detected, published to `md.gap.<venue>.<symbol>`. */
export const GapEventV1 = z.object({
  v: z.literal(1),
  venue: z.string(),
  symbol: z.string(),
  expected: z.number().int(),
  got: z.number().int(),
  ts: ms,
  /** Why: absent or "sequence" (a venue sequence jump), "hold_overflow" (the shard's hold budget overflowed during a NATS outage). */
  reason: z.string().optional(),
  /** hold_overflow: ticks and bytes the shard dropped for this symbol (sequences expected..got-1, with holes). */
  droppedTicks: z.number().int().nonnegative().optional(),
  droppedBytes: z.number().int().nonnegative().optional(),
});
export const GapEvent = z.discriminatedUnion("v", [GapEventV1]);
export type GapEvent = z.infer<typeof GapEvent>;

/** Upstream feed health, published to `md.feed.<venue>` when it changes. */
export const FeedStatusV1 = z.object({
  v: z.literal(1),
  venue: z.string(),
  state: z.enum(["up", "degraded", "down"]),
  reason: z.string().optional(),
  ts: ms,
});
export const FeedStatus = z.discriminatedUnion("v", [FeedStatusV1]);
export type FeedStatus = z.infer<typeof FeedStatus>;

/** A lease in a KV bucket: who holds it and until when (informational; the bucket TTL enforces it). */
export const Lease = z.object({
  v: z.literal(1),
  holder: z.string(),
  host: z.string(),
  acquiredAt: ms,
  renewedAt: ms,
});
export type Lease = z.infer<typeof Lease>;

/** Desired state written by `ops scale`, read by hosts. */
export const DesiredCount = z.object({ v: z.literal(1), count: z.number().int().nonnegative(), ts: ms });
export type DesiredCount = z.infer<typeof DesiredCount>;
