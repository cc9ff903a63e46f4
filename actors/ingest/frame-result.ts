/**
 * What a venue parser makes of one upstream text frame. Parsers never throw: a frame
 * that is not JSON or fails its schema becomes `bad` (counted, sampled, skipped).
 */
import type { BookDelta, Tick, Trade } from "../../lib/contracts/messages.ts";
import type { DepthEvent } from "./binance/book.ts";
import type { TickDecimals } from "./tick-json.ts";

export type FrameResult =
  /** A normalised tick; `product` is the venue's own product id (the ownership key part); `dec`: its decimals as received (tick-json.ts). */
  | { kind: "tick"; product: string; tick: Tick; dec?: TickDecimals }
  /** Proof of life for a product, with the venue sequence if the frame carries one. */
  | { kind: "heartbeat"; product: string; seq?: number; lastTradeId?: number }
  /** A trade (Coinbase match / market_trades, Binance trade / aggTrade). */
  | { kind: "trade"; product: string; trade: Trade }
  /** A Binance diff-depth event, for the order-book sync. */
  | { kind: "depth"; product: string; event: DepthEvent; delta: BookDelta; recvTs: number }
  /**
   * A Coinbase Advanced Trade level2 event: the whole book (`snapshot`) or the levels that
   * changed (`update`; size 0 removes the level). `us`: the envelope's timestamp in µs,
   * the book's version (Coinbase numbers no book updates).
   */
  | { kind: "l2"; product: string; snapshot: boolean; bids: Array<[number, number]>; asks: Array<[number, number]>; us: number }
  /** The server confirmed (or listed) subscriptions; `channels`: channel → products, where the venue lists them. */
  | { kind: "ack"; products?: string[]; channels?: Record<string, string[]>; id?: number }
  /** Several results of one frame (Coinbase Advanced Trade), with the connection's message sequence number. */
  | { kind: "batch"; connSeq: number; items: FrameResult[] }
  /** The server is about to close this connection (Binance `serverShutdown`): reconnect now. */
  | { kind: "shutdown" }
  /** The server reported an error about our request. */
  | { kind: "error"; message: string; id?: number }
  /** Valid but not used by the shard (other channels, candles...). */
  | { kind: "ignored"; type: string }
  | { kind: "bad"; error: string; sample: string };

const SAMPLE = 200;

export function bad(error: string, raw: string): FrameResult {
  return { kind: "bad", error, sample: raw.length > SAMPLE ? raw.slice(0, SAMPLE) + "…" : raw };
}

/** JSON.parse that reports instead of throwing. */
export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
}

/** First zod issue as "path: message". */
export function firstIssue(err: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const i = err.issues[0];
  return i ? `${i.path.map(String).join(".") || "(root)"}: ${i.message}` : "invalid frame";
}
