/**
 * Coinbase Exchange frames → normalised ticks. Product ids are already `BASE-QUOTE`,
 * which is the bus symbol format, so the symbol is the product id.
 */
import type { Tick, Trade } from "../../../lib/contracts/messages.ts";
import { bad, firstIssue, type FrameResult, parseJson } from "../frame-result.ts";
import { COINBASE_SCHEMAS, type CoinbaseFrame, type CoinbaseMatch, type CoinbaseTicker } from "./frames.ts";
import { setDecimal, type TickDecimals } from "../tick-json.ts";
import { coinbaseHeartbeatOk, coinbaseMatchOk, coinbaseTickerOk, isoMs } from "../fast-checks.ts";

/** A match → bus Trade, or why its values cannot be used. */
export function coinbaseTrade(venue: string, m: CoinbaseMatch, recvTs: number): Trade | string {
  const price = Number(m.price);
  const size = Number(m.size);
  const ts = isoMs(m.time);
  if (!(Number.isFinite(price) && price > 0)) return `price: ${m.price} is not a finite positive number`;
  if (!(Number.isFinite(size) && size > 0)) return `size: ${m.size} is not a finite positive number`;
  if (!Number.isFinite(ts)) return `time: ${m.time} is not a real time`;
  return {
    venue,
    market: "spot",
    symbol: m.product_id,
    price,
    size,
    // Coinbase reports the maker's side; Trade.side is the taker's.
    side: m.side === "buy" ? "sell" : "buy",
    tradeId: String(m.trade_id),
    exchTs: ts,
    recvTs,
  };
}

/**
 * A ticker → bus Tick. `dec` (optional) receives the decimal strings the numbers were
 * read from, for encoding them as they came (tick-json.ts).
 */
export function coinbaseTick(venue: string, t: CoinbaseTicker, recvTs: number, dec: TickDecimals = {}): Tick {
  const exch = t.time !== undefined ? isoMs(t.time) : NaN;
  const tick: Tick = {
    venue,
    symbol: t.product_id,
    price: 0,
    exchTs: Number.isFinite(exch) && exch >= 0 ? exch : recvTs,
    recvTs,
    seq: t.sequence,
  };
  setDecimal(tick, dec, "price", t.price);
  // Only set fields the frame had, so absent stays absent (no undefined keys in JSON).
  if (t.best_bid !== undefined) setDecimal(tick, dec, "bid", t.best_bid);
  if (t.best_ask !== undefined) setDecimal(tick, dec, "ask", t.best_ask);
  if (t.best_bid_size !== undefined) setDecimal(tick, dec, "bidSize", t.best_bid_size);
  if (t.best_ask_size !== undefined) setDecimal(tick, dec, "askSize", t.best_ask_size);
  if (t.open_24h !== undefined) setDecimal(tick, dec, "open24h", t.open_24h);
  if (t.high_24h !== undefined) setDecimal(tick, dec, "high24h", t.high_24h);
  if (t.low_24h !== undefined) setDecimal(tick, dec, "low24h", t.low_24h);
  if (t.volume_24h !== undefined) setDecimal(tick, dec, "volume24h", t.volume_24h);
  if (t.last_size !== undefined) setDecimal(tick, dec, "lastSize", t.last_size);
  return tick;
}

function tickResult(venue: string, t: CoinbaseTicker, recvTs: number): FrameResult {
  const dec: TickDecimals = {};
  return { kind: "tick", product: t.product_id, tick: coinbaseTick(venue, t, recvTs, dec), dec };
}

/** Parse one text frame from the Coinbase feed. Never throws. */
export function parseCoinbase(venue: string, raw: string, recvTs: number): FrameResult {
  const j = parseJson(raw);
  if (!j.ok) return bad(j.error, raw);
  const o = j.value as Record<string, unknown> | null;
  const type = o?.type;
  if (typeof type !== "string") return bad("type: expected a string", raw);
  // Hot path: the frames that are nearly all the traffic, checked in place (fast-checks.ts);
  // anything they do not accept goes through its zod schema below, which names the fault.
  if (type === "ticker") {
    if (coinbaseTickerOk(o!)) return tickResult(venue, o as CoinbaseTicker, recvTs);
  } else if (type === "match" || type === "last_match") {
    if (coinbaseMatchOk(o!)) return trade(venue, o as CoinbaseMatch, recvTs, raw);
  } else if (type === "heartbeat") {
    if (coinbaseHeartbeatOk(o!)) return heartbeat(o as { product_id: string; last_trade_id?: number });
  }
  if (!Object.hasOwn(COINBASE_SCHEMAS, type)) return { kind: "ignored", type };
  const r = COINBASE_SCHEMAS[type as keyof typeof COINBASE_SCHEMAS].safeParse(j.value) as ReturnType<typeof CoinbaseFrame.safeParse>;
  if (!r.success) return bad(firstIssue(r.error), raw);
  const f = r.data;
  switch (f.type) {
    case "ticker":
      return tickResult(venue, f, recvTs);
    case "heartbeat":
      return heartbeat(f);
    case "subscriptions":
      return { kind: "ack", products: [...new Set(f.channels.flatMap((c) => c.product_ids))] };
    case "error":
      return { kind: "error", message: f.reason ? `${f.message}: ${f.reason}` : f.message };
    case "l2update":
      return { kind: "ignored", type: f.type };
    case "match":
    case "last_match":
      return trade(venue, f, recvTs, raw);
  }
}

function trade(venue: string, m: CoinbaseMatch, recvTs: number, raw: string): FrameResult {
  const t = coinbaseTrade(venue, m, recvTs);
  return typeof t === "string" ? bad(t, raw) : { kind: "trade", product: m.product_id, trade: t };
}

/** last_trade_id tells whether a match was missed (shard: missed-trade check). */
function heartbeat(f: { product_id: string; last_trade_id?: number | undefined }): FrameResult {
  return f.last_trade_id !== undefined ? { kind: "heartbeat", product: f.product_id, lastTradeId: f.last_trade_id } : { kind: "heartbeat", product: f.product_id };
}
