/**
 * The client protocol: JSON text frames between a dashboard and an edge.
 *
 * This module is the single source of truth for the wire format; the edge validates
 * client frames with it and ui/ imports it for types and parsing. Room payloads
 * (`data`) are produced by the actors, serialised once (lib/contracts/rooms.ts), and
 * forwarded by the edge unchanged.
 */
import { z } from "zod";

// ---------------------------------------------------------------- client → server

// An optional `@<period>` (e.g. `ticker.BTC-USD@1s`) asks for a snapshot room at most once per period.
const RoomName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*(@\d{1,5}(ms|s))?$/, "invalid room name");

export const SubscribeMsg = z.object({
  op: z.literal("subscribe"),
  rooms: z.array(RoomName).min(1).max(100),
  /** Last `seq` seen per stream room; the edge replays what came after it. */
  since: z.record(z.string(), z.number().int().nonnegative()).optional(),
});
export const UnsubscribeMsg = z.object({ op: z.literal("unsubscribe"), rooms: z.array(RoomName).min(1).max(100) });
export const PingMsg = z.object({ op: z.literal("ping"), id: z.union([z.number(), z.string().max(64)]).optional() });
export const RefreshMsg = z.object({ op: z.literal("refresh"), room: z.enum(["movers", "topcoins"]) });

/** Past candles of a candle room: `{"op":"history","room":"candles.BTC-USD.1m","limit":1440,"before":T}`. */
export const HistoryMsg = z.object({
  op: z.literal("history"),
  room: RoomName.regex(/^candles\.[A-Za-z0-9_-]+\.(1m|5m|15m|1h|1d)$/, "a candle room: candles.<SYMBOL>.<1m|5m|15m|1h|1d>"),
  limit: z.number().int().min(1).max(1500).optional(),
  /** Only candles starting before this time (ms): page back from the oldest one you have. */
  before: z.number().int().nonnegative().optional(),
});

export const ClientMsg = z.discriminatedUnion("op", [SubscribeMsg, UnsubscribeMsg, PingMsg, RefreshMsg, HistoryMsg]);
export type ClientMsg = z.infer<typeof ClientMsg>;

// ---------------------------------------------------------------- server → client

export const ErrorCode = {
  BadRequest: "bad_request",
  BadJson: "bad_json",
  UnknownOp: "unknown_op",
  TooLarge: "too_large",
  Binary: "binary_not_supported",
  RateLimited: "rate_limited",
  TooManyRooms: "too_many_rooms",
  UnknownRoom: "unknown_room",
  /** A history request could not be answered now (no ranker, timeout); not a strike. */
  Unavailable: "unavailable",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes the edge uses (4000–4999 are application codes). Besides
 * these, a frame larger than 4 × `limits.maxFrameBytes` is closed by the transport
 * with 1009 (message too big), and an idle socket (no traffic, no pong within
 * `limits.idleTimeoutSec`) is dropped without a close frame (the client sees 1006).
 */
export const CloseCode = {
  /** The edge is shutting down: reconnect (to any edge) and recover with `since`. */
  GoingAway: 1001,
  /** The socket stayed over its send-buffer limit too long (the client does not read fast enough). */
  TooSlow: 4001,
  /** The client kept sending frames that were answered with errors. */
  TooManyErrors: 4002,
  /** Too many connections from this address. */
  TooManyConnections: 4003,
  /** Reserved: idle sockets are currently dropped without a close frame. */
  Idle: 4004,
  /** The page's Origin is not allowed to connect. */
  OriginRejected: 4005,
} as const;

export const Limits = z.object({
  maxFrameBytes: z.number().int(),
  maxRooms: z.number().int(),
  msgsPerSecond: z.number(),
  burst: z.number(),
  idleTimeoutSec: z.number().int(),
  replayWindowMs: z.number().int(),
});
export type Limits = z.infer<typeof Limits>;

export const HelloFrame = z.object({ type: z.literal("hello"), server: z.string(), limits: Limits });
export const SnapshotFrame = z.object({
  type: z.literal("snapshot"),
  room: z.string(),
  seq: z.number().int(),
  ts: z.number(),
  data: z.unknown(),
});
export const UpdateFrame = SnapshotFrame.extend({ type: z.literal("update") });
export const ResyncFrame = z.object({ type: z.literal("resync"), room: z.string(), reason: z.enum(["gap", "too_old", "unavailable"]) });
export const ErrorFrame = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });
export const PongFrame = z.object({ type: z.literal("pong"), id: z.union([z.number(), z.string()]).optional(), ts: z.number().optional() });
/** The answer to a `history` op: candles oldest first (CandleData). */
export const HistoryFrame = z.object({ type: z.literal("history"), room: z.string(), data: z.array(z.unknown()) });

export const ServerFrame = z.discriminatedUnion("type", [
  HelloFrame,
  SnapshotFrame,
  UpdateFrame,
  ResyncFrame,
  ErrorFrame,
  PongFrame,
  HistoryFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

// ---------------------------------------------------------------- room payloads (`data`)

/** `ticker.<SYMBOL>`: the latest tick of one symbol. */
export const TickerData = z.object({
  symbol: z.string(),
  venue: z.string(),
  price: z.number(),
  bid: z.number().optional(),
  ask: z.number().optional(),
  open24h: z.number().optional(),
  high24h: z.number().optional(),
  low24h: z.number().optional(),
  volume24h: z.number().optional(),
  /** Percent change from open24h, e.g. 2.5 for +2.5 %. */
  change24hPct: z.number().optional(),
  exchTs: z.number(),
  /** True when the price comes from a fallback source (CoinGecko) while the feed is down. */
  degraded: z.boolean().optional(),
});
export type TickerData = z.infer<typeof TickerData>;

/** `ticker.all`: the symbols that changed during one coalescing interval. */
export const TickerAllData = z.object({ tickers: z.array(TickerData) });
export type TickerAllData = z.infer<typeof TickerAllData>;

export const MoverRow = z.object({
  symbol: z.string(),
  /** The venue of the pair shown (one row per coin: its most traded pair). */
  venue: z.string().optional(),
  price: z.number(),
  change24hPct: z.number(),
  volume24h: z.number().optional(),
});
/** `movers`: top gainers and losers by 24 h change, one row per coin. */
export const MoversData = z.object({ gainers: z.array(MoverRow), losers: z.array(MoverRow), asOf: z.number() });
export type MoversData = z.infer<typeof MoversData>;

export const TopCoinRow = z.object({
  symbol: z.string(),
  venue: z.string().optional(),
  /** CoinGecko's name of the coin, when known. */
  name: z.string().optional(),
  price: z.number(),
  volume24h: z.number(),
  change24hPct: z.number().optional(),
  rank: z.number().nullable().optional(),
  marketCap: z.number().nullable().optional(),
});
/** `topcoins`: top tradable coins in CoinGecko rank order (unranked after, by quote volume), with rank and market cap when known. */
export const TopCoinsData = z.object({ coins: z.array(TopCoinRow), asOf: z.number() });
export type TopCoinsData = z.infer<typeof TopCoinsData>;

export const Volatility = ["Stable", "Moving", "Volatile", "High Volatility", "Extreme"] as const;
export const Trend = ["Surging", "Rising", "Stable", "Falling", "Crashing"] as const;
export const PulseRow = z.object({
  symbol: z.string(),
  avgPrice: z.number(),
  avgChange24hPct: z.number(),
  maxVolume24h: z.number(),
  marketCap: z.number().nullable().optional(),
  volatility: z.enum(Volatility),
  trend: z.enum(Trend),
  ticks: z.number().int(),
});
/** `pulse`: the last closed 30-second window per coin. */
export const PulseData = z.object({ windowStart: z.number(), windowEnd: z.number(), coins: z.array(PulseRow) });
export type PulseData = z.infer<typeof PulseData>;

/** `markets`: CoinGecko's view of every coin it lists (one row per ticker symbol, the best-ranked coin), rank order. */
export const MarketRow = z.object({
  /** Upper-case ticker, the base of the venues' symbols (BTC for BTC-USD, BTC-USDT). */
  symbol: z.string(),
  /** CoinGecko id, e.g. `bitcoin`. */
  coin: z.string(),
  name: z.string().optional(),
  rank: z.number().nullable(),
  /** USD. */
  marketCap: z.number().nullable(),
  /** 24 h volume in USD over all markets CoinGecko tracks. */
  volume24h: z.number().nullable(),
  /** Hourly prices over the last 24 h, oldest first (absent when CoinGecko gave none). */
  spark: z.array(z.number()).optional(),
});
export const MarketsData = z.object({ coins: z.array(MarketRow), asOf: z.number() });
export type MarketsData = z.infer<typeof MarketsData>;

/** `alerts` (stream room): one extreme move, once per coin and kind (the pair that crossed first). */
export const AlertData = z.object({
  id: z.string(),
  symbol: z.string(),
  /** The venue whose pair crossed the threshold. */
  venue: z.string().optional(),
  kind: z.string(),
  message: z.string(),
  change24hPct: z.number().optional(),
  price: z.number().optional(),
  at: z.number(),
});
export type AlertData = z.infer<typeof AlertData>;

/** `candles.<SYMBOL>.1m` (stream room): one 1-minute OHLCV candle; `empty` marks a minute without trades. */
export const CandleData = z.object({
  symbol: z.string(),
  start: z.number(),
  open: z.number().nullable(),
  high: z.number().nullable(),
  low: z.number().nullable(),
  close: z.number().nullable(),
  volume: z.number(),
  trades: z.number().int(),
  empty: z.boolean(),
  final: z.boolean(),
  /** Timeframe (`1m`, `5m`, `15m`, `1h`, `1d`); absent means `1m` (older producers). */
  tf: z.string().optional(),
  /** What it was built from: the venue's `trades`, its `ticker` (each tick counted as one trade), or the `venue`'s own klines (history backfill). */
  source: z.enum(["trades", "ticker", "venue"]).optional(),
  /** True when the venue's feed was down during the period: an empty candle here means "no data", not "no trades". */
  down: z.boolean().optional(),
});
export type CandleData = z.infer<typeof CandleData>;

/** `book.<SYMBOL>` (snapshot room): the top levels per side, best first, `[price, size]`. */
export const BookData = z.object({
  symbol: z.string(),
  venue: z.string(),
  market: z.string(),
  ts: z.number(),
  lastUpdateId: z.number(),
  bids: z.array(z.tuple([z.number(), z.number()])),
  asks: z.array(z.tuple([z.number(), z.number()])),
});
export type BookData = z.infer<typeof BookData>;

/** `trades.<SYMBOL>` (snapshot room): the latest trades, newest first. */
export const TradesData = z.object({
  symbol: z.string(),
  trades: z.array(z.object({ venue: z.string(), price: z.number(), size: z.number(), side: z.enum(["buy", "sell"]), id: z.string(), ts: z.number() })),
});
export type TradesData = z.infer<typeof TradesData>;

/** Candle timeframes served as rooms `candles.<SYMBOL>.<tf>` and by the `history` op. */
export const CANDLE_TIMEFRAMES = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000 } as const;
export type CandleTimeframe = keyof typeof CANDLE_TIMEFRAMES;
