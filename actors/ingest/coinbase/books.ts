/**
 * The shard's Coinbase Advanced Trade order books, from the `level2` channel: a
 * `snapshot` event replaces a product's book, each `update` sets the size now at its
 * levels (0 removes one). Coinbase numbers no book updates; what proves nothing was
 * lost is the connection's `sequence_num` (checked by the shard): after a jump every
 * book of that connection is {@link CoinbaseBooks.reset} and its products resubscribed,
 * so the venue sends a fresh snapshot. Until that snapshot arrives updates are dropped:
 * a book that missed a message is never published.
 *
 * The top levels go to `md.book.coinbase.<symbol>` every interval when the book moved;
 * `lastUpdateId` is the exchange time (µs) of the last message applied, so versions
 * rise across resyncs and reconnects.
 */
import type { BookSnapshot } from "../../../lib/contracts/messages.ts";
import { encode } from "../../../lib/contracts/codec.ts";
import { msgIds } from "../../../lib/platform/streams.ts";
import { subjects } from "../../../lib/contracts/subjects.ts";
import type { Clock, TimerHandle } from "../../runtime/mod.ts";
import type { FrameResult } from "../frame-result.ts";
import type { Publisher } from "../publisher.ts";

export type L2Result = Extract<FrameResult, { kind: "l2" }>;

export interface CoinbaseBooksOptions {
  venue: string;
  intervalMs: number;
  depth: number;
  clock: Clock;
  publisher: Publisher;
  symbolOf: (product: string) => string;
}

/** One product's levels; `synced` once a snapshot arrived since the last reset. */
export class LevelBook {
  synced = false;
  /** Exchange time (µs) of the last message applied. */
  version = 0;
  published = 0;
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();

  reset(): void {
    this.synced = false;
    this.bids.clear();
    this.asks.clear();
  }

  apply(r: L2Result): void {
    if (r.snapshot) {
      this.bids.clear();
      this.asks.clear();
      this.synced = true;
    }
    for (const [p, q] of r.bids) q === 0 ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of r.asks) q === 0 ? this.asks.delete(p) : this.asks.set(p, q);
    this.version = Math.max(this.version, r.us);
  }

  /** Best `n` levels per side: bids high → low, asks low → high. */
  top(n: number): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    return { bids: [...this.bids].sort((x, y) => y[0] - x[0]).slice(0, n), asks: [...this.asks].sort((x, y) => x[0] - y[0]).slice(0, n) };
  }
}

export class CoinbaseBooks {
  private readonly books = new Map<string, LevelBook>();
  private timer: TimerHandle | undefined;
  /** Updates dropped because their book was waiting for a snapshot. */
  dropped = 0;
  /** Snapshots applied (the first per subscription, then one per resync). */
  snapshots = 0;
  resyncs = 0;

  constructor(private readonly o: CoinbaseBooksOptions) {}

  start(): void {
    const loop = () => {
      this.publishSnapshots();
      this.timer = this.o.clock.setTimeout(loop, this.o.intervalMs);
    };
    this.timer = this.o.clock.setTimeout(loop, this.o.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  add(product: string): void {
    if (!this.books.has(product)) this.books.set(product, new LevelBook());
  }

  remove(product: string): void {
    this.books.delete(product);
  }

  /** The product's book may have missed a message (or was resubscribed): wait for a new snapshot. */
  reset(product: string): void {
    this.books.get(product)?.reset();
  }

  /** After a sequence jump: reset, counted as a resync. */
  resync(product: string): void {
    const b = this.books.get(product);
    if (!b) return;
    b.reset();
    this.resyncs++;
  }

  get(product: string): LevelBook | undefined {
    return this.books.get(product);
  }

  onL2(r: L2Result): void {
    const b = this.books.get(r.product);
    if (!b) return;
    if (!r.snapshot && !b.synced) {
      this.dropped++;
      return;
    }
    if (r.snapshot) this.snapshots++;
    b.apply(r);
  }

  /** Publish the top levels of every synced book that moved since its last snapshot. */
  publishSnapshots(): void {
    const ts = this.o.clock.now();
    for (const [product, b] of this.books) {
      if (!b.synced || b.version === b.published) continue;
      b.published = b.version;
      const symbol = this.o.symbolOf(product);
      const { bids, asks } = b.top(this.o.depth);
      const msg: BookSnapshot = {
        v: 1, venue: this.o.venue, market: "spot", symbol, ts, lastUpdateId: b.version,
        levels: [
          ...bids.map(([price, qty], level) => ({ side: "bid" as const, price, qty, level })),
          ...asks.map(([price, qty], level) => ({ side: "ask" as const, price, qty, level })),
        ],
      };
      void this.o.publisher.publish(subjects.book(this.o.venue, symbol), encode(msg), msgIds.book(this.o.venue, symbol, msg.lastUpdateId, ts));
    }
  }
}
