/**
 * Binance frames → normalised ticks and book deltas. Binance symbols have no separator
 * (`BTCUSDT`), so the bus symbol `BTC-USDT` is found by matching a known quote asset
 * at the end (longest first).
 */
import type { BookDelta, Tick, Trade } from "../../../lib/contracts/messages.ts";
import { bad, firstIssue, type FrameResult, parseJson } from "../frame-result.ts";
import { setDecimal, type TickDecimals } from "../tick-json.ts";
import { binanceTickerOk, binanceTradeOk } from "../fast-checks.ts";
import {
  BINANCE_EVENTS,
  type BinanceDepthSnapshot,
  type BinanceDepthUpdate,
  BinanceErrorReply,
  type BinanceEvent,
  type BinanceMiniTicker,
  BinanceReply,
  type BinanceTicker24h,
  type BinanceTrade,
  type BinanceAggTrade,
} from "./frames.ts";

/** `spot` for Binance Spot, `usdm` for USD-M futures (BookDelta/BookSnapshot/Trade `market`). */
export type BinanceMarket = "spot" | "usdm";

const QUOTES = [
  "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "DAI", "USD", "EUR", "GBP", "TRY", "BRL", "JPY", "AUD",
  "BTC", "ETH", "BNB", "XRP", "DOGE", "TRX", "SOL",
].sort((a, b) => b.length - a.length);

/** `BTCUSDT` → `BTC-USDT`; a symbol with no known quote asset is returned upper-cased as is. */
export function binanceSymbol(s: string): string {
  const up = s.toUpperCase();
  for (const q of QUOTES) if (up.length > q.length && up.endsWith(q)) return `${up.slice(0, -q.length)}-${q}`;
  return up;
}

/** `BTC-USDT` → `BTCUSDT`. */
export function toBinanceProduct(symbol: string): string {
  return symbol.replace("-", "").toUpperCase();
}

/**
 * Sequence of a ticker frame, for de-duplication (Gap detection for Binance is on the
 * diff-depth update ids instead, see book.ts). A 24 h ticker is named by its event time
 * and, below it, the last trade id `L` (E × 1000 + L mod 1000): a later event is always
 * new, even when no trade happened since the last one (a quote-only update: new best
 * bid/ask, same L), and the same frame seen twice (a replay) has the same sequence.
 * Mini tickers have no trade id: their event time.
 */
export function binanceTickSeq(t: { E: number; L?: number | undefined; e?: string }): number {
  if (t.e === "24hrMiniTicker") return t.E;
  return t.E * 1000 + (t.L !== undefined && t.L >= 0 ? t.L % 1000 : 0);
}

const num = Number;
const levels = (xs: ReadonlyArray<readonly [string, string]>): Array<[number, number]> => xs.map(([p, q]) => [num(p), num(q)]);

export function binanceTick(venue: string, t: BinanceTicker24h | BinanceMiniTicker, recvTs: number, symbol?: string, dec: TickDecimals = {}): Tick {
  const tick: Tick = { venue, symbol: symbol ?? binanceSymbol(t.s), price: 0, exchTs: t.E, recvTs, seq: binanceTickSeq(t) };
  setDecimal(tick, dec, "price", t.c);
  if (t.e === "24hrTicker") {
    if (t.b !== undefined) setDecimal(tick, dec, "bid", t.b);
    if (t.a !== undefined) setDecimal(tick, dec, "ask", t.a);
    if (t.B !== undefined) setDecimal(tick, dec, "bidSize", t.B);
    if (t.A !== undefined) setDecimal(tick, dec, "askSize", t.A);
    if (t.Q !== undefined) setDecimal(tick, dec, "lastSize", t.Q);
  }
  if (t.o !== undefined) setDecimal(tick, dec, "open24h", t.o);
  if (t.h !== undefined) setDecimal(tick, dec, "high24h", t.h);
  if (t.l !== undefined) setDecimal(tick, dec, "low24h", t.l);
  if (t.v !== undefined) setDecimal(tick, dec, "volume24h", t.v);
  return tick;
}

export function binanceDelta(venue: string, e: BinanceDepthUpdate, symbol?: string, market: BinanceMarket = "spot"): BookDelta {
  return {
    v: 1,
    venue,
    market,
    symbol: symbol ?? binanceSymbol(e.s),
    ts: e.E,
    firstUpdateId: e.U,
    lastUpdateId: e.u,
    bids: levels(e.b),
    asks: levels(e.a),
  };
}

/**
 * A trade event → bus Trade. Binance's `m` says the buyer was the maker, so the taker
 * (the aggressor, whose side Trade.side reports) sold when `m` is true.
 */
export function binanceTrade(venue: string, t: BinanceTrade | BinanceAggTrade, recvTs: number, symbol: string, market: BinanceMarket): Trade {
  return {
    venue,
    market,
    symbol,
    price: num(t.p),
    size: num(t.q),
    side: t.m ? "sell" : "buy",
    tradeId: String(t.e === "trade" ? t.t : t.a),
    exchTs: t.T,
    recvTs,
  };
}

/** Why a parsed event's values cannot be used, or undefined when they can. */
function badValues(d: BinanceEvent): string | undefined {
  switch (d.e) {
    case "24hrTicker":
    case "24hrMiniTicker":
      return positive(d.c) ? undefined : `data.c: price ${d.c} is not a finite positive number`;
    case "trade":
    case "aggTrade":
      if (!positive(d.p)) return `data.p: price ${d.p} is not a finite positive number`;
      return positive(d.q) ? undefined : `data.q: size ${d.q} is not a finite positive number`;
    case "depthUpdate":
      if (d.U > d.u) return `data.U: first update id ${d.U} > final update id ${d.u}`;
      return badLevels(d.b, "data.b") ?? badLevels(d.a, "data.a");
    default:
      return undefined;
  }
}

const positive = (s: string) => {
  const n = Number(s);
  return Number.isFinite(n) && n > 0;
};

/** Depth levels: price finite and positive, quantity finite and ≥ 0 (0 removes the level). */
function badLevels(xs: ReadonlyArray<readonly [string, string]>, path: string): string | undefined {
  for (const [p, q] of xs) {
    if (!positive(p)) return `${path}: price ${p} is not a finite positive number`;
    const n = Number(q);
    if (!(Number.isFinite(n) && n >= 0)) return `${path}: quantity ${q} is not a finite number ≥ 0`;
  }
  return undefined;
}

/**
 * `serverShutdown` (documented for the WebSocket API as `{"event":{"e":"serverShutdown","E":…}}`,
 * announced for the streams too): accepted bare, wrapped in `event`, or in a combined-stream envelope.
 */
function isShutdown(x: unknown): boolean {
  return typeof x === "object" && x !== null && (x as { e?: unknown }).e === "serverShutdown";
}

/** A REST depth snapshot with numeric levels, for the order book. */
export function numericSnapshot(s: BinanceDepthSnapshot): { lastUpdateId: number; bids: Array<[number, number]>; asks: Array<[number, number]> } {
  return { lastUpdateId: s.lastUpdateId, bids: levels(s.bids), asks: levels(s.asks) };
}

/**
 * Parse one text frame from `/stream` (combined streams). Never throws.
 * `symbolOf` maps a Binance product id to the bus symbol (default: {@link binanceSymbol}).
 */
export function parseBinance(
  venue: string,
  raw: string,
  recvTs: number,
  symbolOf: (product: string) => string = binanceSymbol,
  market: BinanceMarket = "spot",
): FrameResult {
  const j = parseJson(raw);
  if (!j.ok) return bad(j.error, raw);
  const o = j.value as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null || Array.isArray(o)) return bad("(root): expected an object", raw);
  // Dispatch by shape instead of a zod union: this runs for every frame.
  if (!("stream" in o)) {
    if (isShutdown(o) || isShutdown(o.event)) return { kind: "shutdown" };
    // REST-style flat error {"code":…,"msg":…} (documented error shape), e.g. on a bad request.
    if (typeof o.code === "number" && typeof o.msg === "string" && !("result" in o)) return { kind: "error", message: `${o.code}: ${o.msg}` };
    if ("error" in o) {
      const e = BinanceErrorReply.safeParse(o);
      if (!e.success) return bad(firstIssue(e.error), raw);
      const message = `${e.data.error.code}: ${e.data.error.msg}`;
      return typeof e.data.id === "number" ? { kind: "error", message, id: e.data.id } : { kind: "error", message };
    }
    // {"result":null,"id":N} confirms request N (upstream-checks.ts matches it to its streams).
    const r = BinanceReply.safeParse(o);
    if (!r.success) return bad(firstIssue(r.error), raw);
    return typeof r.data.id === "number" ? { kind: "ack", id: r.data.id } : { kind: "ack" };
  }
  const data = o.data as { e?: unknown } | null;
  const type = typeof data === "object" && data !== null ? data.e : undefined;
  if (type === "serverShutdown") return { kind: "shutdown" };
  if (typeof o.stream !== "string" || typeof type !== "string") return bad("stream/data.e: expected a combined-stream event", raw);
  if (!Object.hasOwn(BINANCE_EVENTS, type)) return { kind: "ignored", type };
  // Hot path: tickers and trades checked in place (fast-checks.ts); what the checks do not
  // accept goes through its zod schema, which names the fault.
  let d: BinanceEvent;
  if ((type === "24hrTicker" && binanceTickerOk(data as Record<string, unknown>)) || ((type === "trade" || type === "aggTrade") && binanceTradeOk(data as Record<string, unknown>))) {
    d = data as BinanceEvent;
  } else {
    const r = BINANCE_EVENTS[type as keyof typeof BINANCE_EVENTS].safeParse(data) as ReturnType<typeof BinanceEvent.safeParse>;
    if (!r.success) return bad(`data.${firstIssue(r.error)}`, raw);
    d = r.data;
  }
  const why = badValues(d);
  if (why !== undefined) return bad(why, raw);
  const product = d.s.toUpperCase();
  switch (d.e) {
    case "24hrTicker":
    case "24hrMiniTicker":
      {
      const dec: TickDecimals = {};
      return { kind: "tick", product, tick: binanceTick(venue, d, recvTs, symbolOf(product), dec), dec };
    }
    case "depthUpdate":
      {
      const delta = binanceDelta(venue, d, symbolOf(product), market);
      const event = d.pu !== undefined ? { U: d.U, u: d.u, pu: d.pu, b: delta.bids, a: delta.asks } : { U: d.U, u: d.u, b: delta.bids, a: delta.asks };
      return { kind: "depth", product, event, delta, recvTs };
    }
    case "trade":
    case "aggTrade":
      return { kind: "trade", product, trade: binanceTrade(venue, d, recvTs, symbolOf(product), market) };
    case "kline":
      return { kind: "ignored", type: d.e };
  }
}
