/**
 * Trades of the shard's venues → `md.trade.<venue>.<symbol>` as TradeBatch (bus
 * contract in actors/bus/messages.ts). Trades of one symbol wait up to `lingerMs` to
 * share one message; the msgID names the venue, symbol and trade-id range, so a batch
 * published twice (a retry, a second shard during a hand-over) is stored once.
 *
 * With `validate` on (tests, VALIDATE_PUBLISHED=true) every trade is checked against
 * the bus schema before it is published; a failure is counted and skipped, never sent.
 */
import { getLogger } from "@logtape/logtape";
import { encode, subjects, Trade, type TradeBatch } from "../bus/mod.ts";
import type { Clock, TimerHandle } from "../runtime/types.ts";
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
