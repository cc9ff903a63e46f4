/**
 * The wire protocol of each venue as the shard needs it: how to (un)subscribe a set of
 * products on one connection and how to parse a frame. Adding a venue means adding
 * one entry here plus its frames/normalise modules.
 */
import type { FrameResult } from "./frame-result.ts";
import { coinbaseSubscribe } from "./coinbase/frames.ts";
import { parseCoinbase } from "./coinbase/normalise.ts";
import { advancedChannels, advancedSubscribe } from "./coinbase/advanced-frames.ts";
import { parseAdvanced } from "./coinbase/advanced.ts";
import { binanceRequest } from "./binance/frames.ts";
import { type BinanceMarket, binanceSymbol, parseBinance } from "./binance/normalise.ts";

export type VenueName = "coinbase" | "binance" | "binance-usdm";

export interface VenueProtocol {
  readonly venue: VenueName;
  /** Whether tick sequences are contiguous per product (so a jump is a gap). */
  readonly gapCheck: boolean;
  /** Client messages one connection may send per second (Binance: 5, incl. pong replies), if the venue limits it. */
  readonly maxMessagesPerSecond?: number;
  /** Whether products have a Binance-style order book to sync. */
  readonly books: boolean;
  /** Coinbase Advanced Trade level2: books from the venue's snapshot + updates, resynced by resubscribing. */
  readonly l2Books?: boolean;
  /** `spot`, or `usdm` for USD-M futures (the book rule and the `market` field). */
  readonly market: BinanceMarket;
  /** Trade ids consecutive per product, heartbeats with last_trade_id (Coinbase Exchange): holes are missed trades. */
  readonly tradeIds?: boolean;
  /** One (un)subscribe is this many messages (Coinbase Advanced Trade: one per channel); default 1. */
  readonly messagesPerRequest?: number;
  /** The message(s) of one request; each message takes a token of the subscribe budget. */
  subscribe(products: readonly string[], id: number): string | readonly string[];
  unsubscribe(products: readonly string[], id: number): string | readonly string[];
  parse(raw: string, recvTs: number): FrameResult;
  /** Bus symbol (`BASE-QUOTE`) of a venue product id. */
  symbolOf(product: string): string;
  /** Learn bus symbols of newly listed products (from the venue's base/quote fields). */
  addSymbols?(symbols: ReadonlyMap<string, string>): void;
}

/**
 * Coinbase product ids are `BASE-QUOTE` already; where the listing's base/quote say
 * otherwise, ticks and trades carry the listing's symbol. Only such products pay for a
 * lookup on the hot path.
 */
function coinbaseSymbols(initial?: ReadonlyMap<string, string>) {
  const renamed = new Map<string, string>();
  const add = (m: ReadonlyMap<string, string>) => {
    for (const [p, sym] of m) if (p !== sym) renamed.set(p, sym);
  };
  if (initial) add(initial);
  const rename = (r: FrameResult): FrameResult => {
    if (renamed.size === 0) return r;
    if (r.kind === "batch") return { ...r, items: r.items.map(rename) };
    const sym = r.kind === "tick" || r.kind === "trade" ? renamed.get(r.product) : undefined;
    if (sym === undefined) return r;
    if (r.kind === "tick") r.tick.symbol = sym;
    else if (r.kind === "trade") r.trade.symbol = sym;
    return r;
  };
  return { rename, add, symbolOf: (p: string) => renamed.get(p) ?? p };
}

export function coinbaseProtocol(gapCheck: boolean, trades = false, symbols?: ReadonlyMap<string, string>): VenueProtocol {
  const names = coinbaseSymbols(symbols);
  return {
    venue: "coinbase",
    gapCheck,
    books: false,
    market: "spot",
    tradeIds: true,
    subscribe: (products) => coinbaseSubscribe("subscribe", products, trades),
    unsubscribe: (products) => coinbaseSubscribe("unsubscribe", products, trades),
    parse: (raw, recvTs) => names.rename(parseCoinbase("coinbase", raw, recvTs)),
    symbolOf: names.symbolOf,
    addSymbols: names.add,
  };
}

/**
 * Coinbase Advanced Trade (bus venue id stays `coinbase`): ticker + heartbeats (+
 * market_trades, + level2 with books), one message per channel, a fresh `jwt` per message when a signer is
 * given. Product sequences do not exist here; the connection's `sequence_num` is checked
 * by the shard instead (a `batch` result).
 */
export function coinbaseAdvancedProtocol(trades = false, jwt?: () => string, symbols?: ReadonlyMap<string, string>, books = false): VenueProtocol {
  const names = coinbaseSymbols(symbols);
  const channels = advancedChannels(trades, books);
  return {
    venue: "coinbase",
    gapCheck: false,
    books: false,
    l2Books: books,
    market: "spot",
    messagesPerRequest: channels.length,
    subscribe: (products) => advancedSubscribe("subscribe", products, channels, jwt),
    unsubscribe: (products) => advancedSubscribe("unsubscribe", products, channels, jwt),
    parse: (raw, recvTs) => names.rename(parseAdvanced("coinbase", raw, recvTs)),
    symbolOf: names.symbolOf,
    addSymbols: names.add,
  };
}

/**
 * Binance streams per product: the 24 h ticker, the 100 ms diff depth when books are on,
 * and trades when trades are on (Spot `@trade`, one event per trade; USD-M futures only
 * documents `@aggTrade`, fills of one taker order at one price).
 */
export function binanceStreams(product: string, books: boolean, trades = false, market: BinanceMarket = "spot"): string[] {
  const s = product.toLowerCase();
  const out = [`${s}@ticker`];
  if (books) out.push(`${s}@depth@100ms`);
  if (trades) out.push(market === "usdm" ? `${s}@aggTrade` : `${s}@trade`);
  return out;
}

/** Binance's limit of 1,024 streams per connection, in products. */
export function binanceProductsPerConnection(books: boolean, trades: boolean): number {
  return Math.floor(1024 / binanceStreams("x", books, trades).length);
}

export interface BinanceProtocolOptions {
  trades?: boolean;
  market?: BinanceMarket;
  /** Bus symbols from the venue's own base/quote fields (exchangeInfo); others are split on a known quote asset. */
  symbols?: ReadonlyMap<string, string>;
}

export function binanceProtocol(books: boolean, o: BinanceProtocolOptions = {}): VenueProtocol {
  const market = o.market ?? "spot";
  const venue = market === "usdm" ? "binance-usdm" : "binance";
  const trades = o.trades ?? false;
  const symbols = new Map<string, string>(o.symbols ?? []);
  const symbolOf = (p: string) => {
    let s = symbols.get(p);
    if (s === undefined) symbols.set(p, (s = binanceSymbol(p)));
    return s;
  };
  const streams = (products: readonly string[]) => products.flatMap((p) => binanceStreams(p, books, trades, market));
  return {
    venue,
    gapCheck: false,
    // Binance allows 5 (Spot and USD-M futures alike); pongs to its pings count too, so leave room for them.
    maxMessagesPerSecond: 3,
    books,
    market,
    subscribe: (products, id) => binanceRequest("SUBSCRIBE", streams(products), id),
    unsubscribe: (products, id) => binanceRequest("UNSUBSCRIBE", streams(products), id),
    parse: (raw, recvTs) => parseBinance(venue, raw, recvTs, symbolOf, market),
    symbolOf,
    addSymbols: (m) => {
      for (const [p, sym] of m) symbols.set(p, sym);
    },
  };
}
