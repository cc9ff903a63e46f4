/**
 * Trades of the shard's venues → `md.trade.<venue>.<symbol>` as TradeBatch (bus
 * contract in lib/contracts/messages.ts). Trades of one symbol wait up to `lingerMs` to
 * share one message; the msgID names the venue, symbol and trade-id range, so a batch
 * published twice (a retry, a second shard during a hand-over) is stored once.
 *
 * With `validate` on (tests, VALIDATE_PUBLISHED=true) every trade is checked against
 * the bus schema before it is published; a failure is counted and skipped, never sent.
 */
import { getLogger } from "@logtape/logtape";
import { encode } from "../../lib/contracts/codec.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { Trade, type TradeBatch } from "../../lib/contracts/messages.ts";
import type { Clock, TimerHandle } from "../runtime/mod.ts";
import type { Publisher } from "./publisher.ts";

export interface TradeOptions {
  lingerMs: number;
  maxBatch: number;
  clock: Clock;
  validate?: boolean;
  /** Called for a trade that failed its schema (counted by the shard). */
  onInvalid?: (error: string) => void;
}

/** JetStream msgID of a trade batch. */
export function tradeMsgId(venue: string, symbol: string, first: string, last: string): string {
  return first === last ? `x:${venue}:${symbol}:${first}` : `x:${venue}:${symbol}:${first}-${last}`;
}

export class TradePublisher {
  private readonly buffers = new Map<string, Trade[]>();
  private timer: TimerHandle | undefined;
  private readonly log = getLogger(["tickflow", "ingest", "trades"]);
  published = 0;

  constructor(private readonly publisher: Publisher, private readonly o: TradeOptions) {}

  add(t: Trade): void {
    if (this.o.validate) {
      const r = Trade.safeParse(t);
      if (!r.success) {
        const why = r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
        this.log.warn("{venue} {symbol}: trade fails the bus schema ({why}); not published", { venue: t.venue, symbol: t.symbol, why });
        this.o.onInvalid?.(why);
        return;
      }
    }
    const key = `${t.venue}\u0000${t.symbol}`;
    let buf = this.buffers.get(key);
    if (!buf) this.buffers.set(key, (buf = []));
    buf.push(t);
    if (buf.length >= this.o.maxBatch) {
      this.buffers.delete(key);
      this.send(buf);
    } else if (this.timer === undefined) {
      this.timer = this.o.clock.setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.o.lingerMs);
    }
  }

  /** Hand every buffered trade to the publisher now (before its flush on stop). */
  flush(): void {
    if (this.timer !== undefined) {
      this.o.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const buf of this.buffers.values()) this.send(buf);
    this.buffers.clear();
  }

  private send(trades: Trade[]): void {
    const first = trades[0]!;
    const batch: TradeBatch = { v: 1, trades };
    this.published += trades.length;
    void this.publisher.publish(
      subjects.trade(first.venue, first.symbol),
      encode(batch),
      tradeMsgId(first.venue, first.symbol, first.tradeId, trades[trades.length - 1]!.tradeId),
    );
  }
}

/**
 * Coinbase trade ids are consecutive per product. A match that skips ids, or a heartbeat
 * whose last_trade_id is ahead of the last match seen (a loss with no match after it),
 * means matches were lost. Returns the missing range [from, to), or undefined.
 * (Lost trades cannot be fetched back from the feed; the shard counts and reports them.)
 */
export class TradeIdTracker {
  private readonly last = new Map<string, number>();

  /** A trade with this id arrived. */
  onTrade(key: string, id: number): [number, number] | undefined {
    const seen = this.last.get(key);
    this.note(key, id);
    return seen !== undefined && id > seen + 1 ? [seen + 1, id] : undefined;
  }

  /** A heartbeat said the product's last trade id is `id`. */
  onHeartbeat(key: string, id: number): [number, number] | undefined {
    const seen = this.last.get(key);
    this.note(key, id);
    return seen !== undefined && id > seen ? [seen + 1, id + 1] : undefined;
  }

  /** Forget a product (unsubscribed, resubscribed: the feed starts again with last_match). */
  forget(key: string): void {
    this.last.delete(key);
  }

  private note(key: string, id: number): void {
    if (Number.isSafeInteger(id) && id > (this.last.get(key) ?? -1)) this.last.set(key, id);
  }
}
