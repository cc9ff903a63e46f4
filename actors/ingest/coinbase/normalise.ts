/**
 * Coinbase Exchange frames → normalised ticks. Product ids are already `BASE-QUOTE`,
 * which is the bus symbol format, so the symbol is the product id.
 */
import type { Tick, Trade } from "../../../lib/contracts/messages.ts";
import { bad, firstIssue, type FrameResult, parseJson } from "../frame-result.ts";
import { COINBASE_SCHEMAS, type CoinbaseFrame, type CoinbaseMatch, type CoinbaseTicker } from "./frames.ts";
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

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

export function coinbaseTick(venue: string, t: CoinbaseTicker, recvTs: number): Tick {
  const exch = t.time !== undefined ? isoMs(t.time) : NaN;
  const tick: Tick = {
    venue,
    symbol: t.product_id,
    price: Number(t.price),
    exchTs: Number.isFinite(exch) && exch >= 0 ? exch : recvTs,
    recvTs,
    seq: t.sequence,
  };
  // Only set fields the frame had, so absent stays absent (no undefined keys in JSON).
  if (t.best_bid !== undefined) tick.bid = num(t.best_bid)!;
  if (t.best_ask !== undefined) tick.ask = num(t.best_ask)!;
  if (t.best_bid_size !== undefined) tick.bidSize = num(t.best_bid_size)!;
  if (t.best_ask_size !== undefined) tick.askSize = num(t.best_ask_size)!;
  if (t.open_24h !== undefined) tick.open24h = num(t.open_24h)!;
  if (t.high_24h !== undefined) tick.high24h = num(t.high_24h)!;
  if (t.low_24h !== undefined) tick.low24h = num(t.low_24h)!;
  if (t.volume_24h !== undefined) tick.volume24h = num(t.volume_24h)!;
  if (t.last_size !== undefined) tick.lastSize = num(t.last_size)!;
  return tick;
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
    if (coinbaseTickerOk(o!)) return { kind: "tick", product: o!.product_id as string, tick: coinbaseTick(venue, o as CoinbaseTicker, recvTs) };
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
      return { kind: "tick", product: f.product_id, tick: coinbaseTick(venue, f, recvTs) };
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
