/**
 * Binance frames → normalised ticks and book deltas. Binance symbols have no separator
 * (`BTCUSDT`), so the bus symbol `BTC-USDT` is found by matching a known quote asset
 * at the end (longest first).
 */
import type { BookDelta, Tick } from "../../bus/mod.ts";
import { bad, firstIssue, type FrameResult, parseJson } from "../frame-result.ts";
import {
  BINANCE_EVENTS,
  type BinanceDepthSnapshot,
  type BinanceDepthUpdate,
  BinanceErrorReply,
  type BinanceEvent,
  type BinanceMiniTicker,
  BinanceReply,
  type BinanceTicker24h,
} from "./frames.ts";

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
 * Sequence of a ticker frame. Binance tickers carry no frame sequence; the last trade
 * id `L` grows with every trade, so it names the frame for de-duplication (a ticker
 * frame without a new trade repeats the last one and is dropped as a replay). Mini
 * tickers have no trade id and fall back to the event time. Gap detection for
 * Binance is on the diff-depth update ids instead (see book.ts).
 */
export function binanceTickSeq(t: { E: number; L?: number | undefined }): number {
  return t.L !== undefined && t.L >= 0 ? t.L : t.E;
}

const num = Number;
const levels = (xs: ReadonlyArray<readonly [string, string]>): Array<[number, number]> => xs.map(([p, q]) => [num(p), num(q)]);

export function binanceTick(venue: string, t: BinanceTicker24h | BinanceMiniTicker, recvTs: number, symbol?: string): Tick {
  const tick: Tick = { venue, symbol: symbol ?? binanceSymbol(t.s), price: num(t.c), exchTs: t.E, recvTs, seq: binanceTickSeq(t) };
  if (t.e === "24hrTicker") {
    if (t.b !== undefined) tick.bid = num(t.b);
    if (t.a !== undefined) tick.ask = num(t.a);
    if (t.B !== undefined) tick.bidSize = num(t.B);
    if (t.A !== undefined) tick.askSize = num(t.A);
    if (t.Q !== undefined) tick.lastSize = num(t.Q);
  }
  if (t.o !== undefined) tick.open24h = num(t.o);
  if (t.h !== undefined) tick.high24h = num(t.h);
  if (t.l !== undefined) tick.low24h = num(t.l);
  if (t.v !== undefined) tick.volume24h = num(t.v);
  return tick;
}

export function binanceDelta(venue: string, e: BinanceDepthUpdate, symbol?: string): BookDelta {
  return {
    v: 1,
    venue,
    market: "spot",
    symbol: symbol ?? binanceSymbol(e.s),
    ts: e.E,
    firstUpdateId: e.U,
    lastUpdateId: e.u,
    bids: levels(e.b),
    asks: levels(e.a),
  };
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
): FrameResult {
  const j = parseJson(raw);
  if (!j.ok) return bad(j.error, raw);
  const o = j.value as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null || Array.isArray(o)) return bad("(root): expected an object", raw);
  // Dispatch by shape instead of a zod union: this runs for every frame.
  if (!("stream" in o)) {
    if ("error" in o) {
      const e = BinanceErrorReply.safeParse(o);
      return e.success ? { kind: "error", message: `${e.data.error.code}: ${e.data.error.msg}` } : bad(firstIssue(e.error), raw);
    }
    const r = BinanceReply.safeParse(o);
    return r.success ? { kind: "ack" } : bad(firstIssue(r.error), raw);
  }
  const data = o.data as { e?: unknown } | null;
  const type = typeof data === "object" && data !== null ? data.e : undefined;
  if (typeof o.stream !== "string" || typeof type !== "string") return bad("stream/data.e: expected a combined-stream event", raw);
  if (!Object.hasOwn(BINANCE_EVENTS, type)) return { kind: "ignored", type };
  const r = BINANCE_EVENTS[type as keyof typeof BINANCE_EVENTS].safeParse(data) as ReturnType<typeof BinanceEvent.safeParse>;
  if (!r.success) return bad(`data.${firstIssue(r.error)}`, raw);
  const d = r.data;
  const product = d.s.toUpperCase();
  switch (d.e) {
    case "24hrTicker":
    case "24hrMiniTicker":
      return { kind: "tick", product, tick: binanceTick(venue, d, recvTs, symbolOf(product)) };
    case "depthUpdate":
      {
      const delta = binanceDelta(venue, d, symbolOf(product));
      return { kind: "depth", product, event: { U: d.U, u: d.u, b: delta.bids, a: delta.asks }, delta };
    }
    case "kline":
      return { kind: "ignored", type: d.e };
  }
}
