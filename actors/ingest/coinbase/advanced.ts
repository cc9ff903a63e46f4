/**
 * Coinbase Advanced Trade frames → normalised ticks and trades. One envelope may carry
 * several events, each with several tickers or trades, so a frame becomes one `batch`
 * result holding the connection's `sequence_num` (checked by the shard: a jump means
 * messages were lost on that connection) and the items.
 *
 * Ticks: Advanced tickers carry no per-product sequence and no time of their own; the
 * envelope's `timestamp` is the exchange time and the tick sequence is
 * `timestamp ms × 1000 + sequence_num mod 1000` — rising across reconnects (the
 * connection's sequence_num restarts at 0), equal for a replayed frame.
 */
import type { Tick, Trade } from "../../../lib/contracts/messages.ts";
import { bad, firstIssue, type FrameResult, parseJson } from "../frame-result.ts";
import {
  AdvancedEnvelope, AdvancedError, AdvancedHeartbeatEvent, AdvancedL2Event, AdvancedSubscriptionsEvent, type AdvancedTicker,
  AdvancedTickerEvent, type AdvancedTrade, AdvancedTradesEvent,
} from "./advanced-frames.ts";

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
const positive = (x: number) => Number.isFinite(x) && x > 0;

/** A ticker → Tick, or why its values cannot be used. */
export function advancedTick(venue: string, t: AdvancedTicker, exchTs: number, seq: number, recvTs: number): Tick | string {
  const price = Number(t.price);
  if (!positive(price)) return `price: ${t.price} is not a finite positive number`;
  const tick: Tick = { venue, symbol: t.product_id, price, exchTs, recvTs, seq };
  const fields: Array<[keyof Tick, string | undefined, boolean]> = [
    ["bid", t.best_bid, true], ["ask", t.best_ask, true], ["bidSize", t.best_bid_quantity, false], ["askSize", t.best_ask_quantity, false],
    ["high24h", t.high_24_h, true], ["low24h", t.low_24_h, true], ["volume24h", t.volume_24_h, false],
  ];
  for (const [k, s, mustBePositive] of fields) {
    const x = num(s);
    if (x === undefined) continue;
    if (!Number.isFinite(x) || x < 0 || (mustBePositive && x === 0)) return `${k}: ${s} is not a finite ${mustBePositive ? "positive" : "non-negative"} number`;
    (tick as unknown as Record<string, number>)[k] = x;
  }
  // open_24h is not sent; it follows from the price and its 24 h change.
  const chg = num(t.price_percent_chg_24_h);
  if (chg !== undefined && Number.isFinite(chg) && chg > -100) tick.open24h = price / (1 + chg / 100);
  return tick;
}

/**
 * A market trade → Trade. Coinbase documents `side` without saying whose it is; as on the
 * Exchange feed's matches (whose engine it shares) we read it as the maker's side, so
 * the taker traded the other way. The simulator sends it the same way.
 */
export function advancedTrade(venue: string, t: AdvancedTrade, recvTs: number): Trade | string {
  const price = Number(t.price);
  const size = Number(t.size);
  const ts = Date.parse(t.time);
  if (!positive(price)) return `price: ${t.price} is not a finite positive number`;
  if (!positive(size)) return `size: ${t.size} is not a finite positive number`;
  if (!Number.isFinite(ts) || ts <= 0) return `time: ${t.time} is not a real time`;
  return { venue, market: "spot", symbol: t.product_id, price, size, side: t.side === "BUY" ? "sell" : "buy", tradeId: t.trade_id, exchTs: ts, recvTs };
}

type Items = FrameResult[];

function tickers(venue: string, events: unknown[], exchTs: number, seq: number, recvTs: number, out: Items): string | undefined {
  for (const e of events) {
    const r = AdvancedTickerEvent.safeParse(e);
    if (!r.success) return firstIssue(r.error);
    for (const t of r.data.tickers) {
      const tick = advancedTick(venue, t, exchTs, seq, recvTs);
      if (typeof tick === "string") return tick;
      out.push({ kind: "tick", product: t.product_id, tick });
    }
  }
  return undefined;
}

function trades(venue: string, events: unknown[], recvTs: number, out: Items): string | undefined {
  for (const e of events) {
    const r = AdvancedTradesEvent.safeParse(e);
    if (!r.success) return firstIssue(r.error);
    // Oldest first, so trades reach the publisher in time order whatever order the event lists them in.
    const byTime = r.data.trades.map((t) => ({ t, ts: Date.parse(t.time) })).sort((a, b) => a.ts - b.ts);
    for (const { t } of byTime) {
      const trade = advancedTrade(venue, t, recvTs);
      if (typeof trade === "string") return trade;
      out.push({ kind: "trade", product: t.product_id, trade });
    }
  }
  return undefined;
}

/**
 * level2 events → `l2` results (one per event: a product's snapshot or update). Prices
 * must be finite and > 0, sizes finite and ≥ 0 ("0" removes the level); `us` is the
 * envelope time in µs, the version of the book after the event.
 */
function level2(events: unknown[], us: number, out: Items): string | undefined {
  for (const e of events) {
    const r = AdvancedL2Event.safeParse(e);
    if (!r.success) return firstIssue(r.error);
    const bids: Array<[number, number]> = [];
    const asks: Array<[number, number]> = [];
    for (const u of r.data.updates) {
      const p = Number(u.price_level);
      const q = Number(u.new_quantity);
      if (!positive(p)) return `price_level: ${u.price_level} is not a finite positive number`;
      if (!Number.isFinite(q) || q < 0) return `new_quantity: ${u.new_quantity} is not a finite non-negative number`;
      (u.side === "bid" ? bids : asks).push([p, q]);
    }
    out.push({ kind: "l2", product: r.data.product_id, snapshot: r.data.type === "snapshot", bids, asks, us });
  }
  return undefined;
}

/** RFC 3339 time → µs since the epoch, reading up to 6 fraction digits (Coinbase prints 9). */
export function microsOf(timestamp: string, ms: number): number {
  const frac = /\.(\d+)/.exec(timestamp)?.[1] ?? "";
  return Math.floor(ms / 1000) * 1_000_000 + Number(frac.slice(0, 6).padEnd(6, "0"));
}

function subscriptions(events: unknown[]): FrameResult | string {
  const channels: Record<string, string[]> = {};
  for (const e of events) {
    const r = AdvancedSubscriptionsEvent.safeParse(e);
    if (!r.success) return firstIssue(r.error);
    for (const [ch, ids] of Object.entries(r.data.subscriptions)) (channels[ch] ??= []).push(...ids);
  }
  const products = [...new Set(Object.entries(channels).filter(([ch]) => ch !== "heartbeats").flatMap(([, ids]) => ids))];
  return { kind: "ack", products, channels };
}

/** Parse one text frame from the Advanced Trade feed. Never throws. */
export function parseAdvanced(venue: string, raw: string, recvTs: number): FrameResult {
  const j = parseJson(raw);
  if (!j.ok) return bad(j.error, raw);
  const o = j.value as Record<string, unknown> | null;
  if (o !== null && typeof o === "object" && o.type === "error") {
    const e = AdvancedError.safeParse(o);
    if (!e.success) return bad(firstIssue(e.error), raw);
    return { kind: "error", message: e.data.reason ? `${e.data.message}: ${e.data.reason}` : e.data.message };
  }
  const env = AdvancedEnvelope.safeParse(o);
  if (!env.success) return bad(firstIssue(env.error), raw);
  const { channel, events, sequence_num: connSeq, timestamp } = env.data;
  const exchTs = Date.parse(timestamp);
  if (!Number.isFinite(exchTs) || exchTs <= 0) return bad(`timestamp: ${timestamp} is not a real time`, raw);
  const items: Items = [];
  let why: string | undefined;
  switch (channel) {
    case "ticker":
    case "ticker_batch":
      why = tickers(venue, events, exchTs, exchTs * 1000 + (connSeq % 1000), recvTs, items);
      break;
    case "market_trades":
      why = trades(venue, events, recvTs, items);
      break;
    case "l2_data":
      why = level2(events, microsOf(timestamp, exchTs), items);
      break;
    case "heartbeats":
      for (const e of events) {
        const r = AdvancedHeartbeatEvent.safeParse(e);
        if (!r.success) {
          why = firstIssue(r.error);
          break;
        }
      }
      break;
    case "subscriptions": {
      const r = subscriptions(events);
      if (typeof r === "string") why = r;
      else items.push(r);
      break;
    }
    default:
      return { kind: "batch", connSeq, items: [{ kind: "ignored", type: channel }] };
  }
  // A frame with a bad value is skipped whole, but it still arrived: its sequence_num counts.
  return { kind: "batch", connSeq, items: why !== undefined ? [bad(why, raw)] : items };
}
