/**
 * NATS subject names. Every subject the system uses is built here; no other module
 * writes a subject as a string literal.
 *
 * Tokens must not contain `.`, `*`, `>` or whitespace: symbols are normalised to
 * `BASE-QUOTE` (e.g. `BTC-USD`) and venues are lower-case words.
 */

const TOKEN = /^[A-Za-z0-9_\-]+$/;

/** Throws a RangeError unless `value` is usable as one subject token. */
export function token(value: string, what = "subject token"): string {
  if (!TOKEN.test(value)) {
    throw new RangeError(`${what} must match ${TOKEN}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Tick subjects end in a partition token, `p0`…`p15` (the symbol's partition), so a
 * coalescer consumes only its partitions with one filter per consumer (nats-server
 * 2.9 allows one) instead of decoding and discarding everyone's ticks.
 */
export const TICK_PARTITIONS = 16;

/** The symbol's tick partition: cyrb53 (the same as actors/lease hash53, kept here so bus imports nothing) mod 16. */
export function tickPartition(symbol: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < symbol.length; i++) {
    const c = symbol.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)) % TICK_PARTITIONS;
}

/** Symbol of a tick subject (`md.tick.<venue>.<symbol>.p<k>`, or the older form without the partition). */
export function symbolOfTickSubject(subject: string): string {
  const v = subject.indexOf(".", 8); // after "md.tick."
  const end = subject.indexOf(".", v + 1);
  return end < 0 ? subject.slice(v + 1) : subject.slice(v + 1, end);
}

export const subjects = {
  /** Normalised ticks: `md.tick.<venue>.<symbol>.p<partition>` (see {@link TICK_PARTITIONS}). */
  tick: (venue: string, symbol: string) =>
    `md.tick.${token(venue, "venue")}.${token(symbol, "symbol")}.p${tickPartition(symbol)}`,
  allTicks: "md.tick.>",
  /** The ticks of one partition (a consumer filter). */
  tickPartition: (p: number) => `md.tick.*.*.p${p}`,
  /** Trades (matches): `md.trade.<venue>.<symbol>`. */
  trade: (venue: string, symbol: string) => `md.trade.${token(venue, "venue")}.${token(symbol, "symbol")}`,
  allTrades: "md.trade.>",
  /** Flattened order-book levels: `md.book.<venue>.<symbol>`. */
  book: (venue: string, symbol: string) => `md.book.${token(venue, "venue")}.${token(symbol, "symbol")}`,
  allBooks: "md.book.>",
  /** Raw order-book diff events: `md.bookdelta.<venue>.<symbol>`. */
  bookDelta: (venue: string, symbol: string) =>
    `md.bookdelta.${token(venue, "venue")}.${token(symbol, "symbol")}`,
  allBookDeltas: "md.bookdelta.>",
  /** Market-cap snapshots from CoinGecko: `md.market.<coin id>`. */
  market: (coin: string) => `md.market.${token(coin, "coin id")}`,
  allMarkets: "md.market.>",
  /** Sequence gaps detected by a shard: `md.gap.<venue>.<symbol>`. */
  gap: (venue: string, symbol: string) => `md.gap.${token(venue, "venue")}.${token(symbol, "symbol")}`,
  allGaps: "md.gap.>",
  /** Upstream feed health (breaker state) per venue: `md.feed.<venue>`. */
  feed: (venue: string) => `md.feed.${token(venue, "venue")}`,
  allFeeds: "md.feed.>",
  /** Everything in the MD stream. */
  allMd: "md.>",

  /** A room message, already in client wire format: `room.<room>`. */
  room: (room: string) => `room.${room}`,
  allRooms: "room.>",

  /** Request/reply commands, e.g. `cmd.movers.refresh`. */
  refresh: (what: "movers" | "topcoins") => `cmd.${what}.refresh`,
  /** Candle history for a chart: request/reply. */
  candleHistory: "cmd.candles.history",
} as const;

/** Room names (the part after `room.`), as clients see them. */
export const rooms = {
  ticker: (symbol: string) => `ticker.${token(symbol, "symbol")}`,
  tickerAll: "ticker.all",
  movers: "movers",
  topcoins: "topcoins",
  /** CoinGecko names, ranks, market caps and 24 h sparklines of every coin (mover-ranker). */
  markets: "markets",
  pulse: "pulse",
  alerts: "alerts",
  candles: (symbol: string, interval = "1m") => `candles.${token(symbol, "symbol")}.${token(interval, "interval")}`,
  /** Top of the order book (actors/marketrooms). */
  book: (symbol: string) => `book.${token(symbol, "symbol")}`,
  /** The latest trades (actors/marketrooms). */
  trades: (symbol: string) => `trades.${token(symbol, "symbol")}`,
} as const;

/** Subjects of the snapshot rooms (ROOMS stream) and of the stream rooms (ROOMLOG); together `room.>`. */
export const snapshotRoomSubjects = ["room.ticker.>", "room.movers", "room.topcoins", "room.markets", "room.pulse", "room.book.>", "room.trades.>"] as const;
export const streamRoomSubjects = ["room.alerts", "room.candles.>"] as const;

/**
 * Stream rooms keep every message (a reconnecting client can replay what it missed);
 * all other rooms are snapshot rooms where only the latest message matters.
 */
export function isStreamRoom(room: string): boolean {
  return room === rooms.alerts || room.startsWith("candles.");
}

/** Room name from a `room.<room>` subject, or undefined if it is not a room subject. */
export function roomOfSubject(subject: string): string | undefined {
  return subject.startsWith("room.") ? subject.slice(5) : undefined;
}

/** A valid room name: dot-separated subject tokens, no wildcards. */
export function isValidRoom(room: string): boolean {
  return room.length > 0 && room.length <= 64 && room.split(".").every((t) => TOKEN.test(t));
}
