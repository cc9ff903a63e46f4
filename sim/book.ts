/**
 * A per-product order book that follows the price, and the Binance diff-depth
 * bookkeeping around it.
 *
 * Levels sit on a grid (`step` price units). The best bid is always the grid level at
 * or below the last price and the best ask the one above, with up to `WINDOW` levels
 * per side; levels leaving the window are deleted. Every change is recorded as an
 * absolute quantity (0 = delete) in the pending diff, so replaying a diff twice is
 * harmless: that is what makes Binance's snapshot + buffered-diff sync procedure work.
 */
import { fixed, fixed8 } from "./fmt.ts";
import type { Prng } from "./prng.ts";

/** Levels per side. Below the REST default limit (100), so a default snapshot is complete. */
export const WINDOW = 30;
const FILL = 0.85;

export interface BookSpec {
  readonly step: number;
  readonly typQty: number;
  readonly dec: number;
  readonly qtyDec: number;
}

export interface DepthDiff {
  U: number;
  u: number;
  /** The previous event's `u` on the same stream (USD-M futures send it as `pu`). */
  pu: number;
  /** JSON arrays `[["price","qty"],...]`, ready to splice into an event. */
  b: string;
  a: string;
}

/** Ring slots per side: live levels always span less than this many grid indices. */
const SLOTS = 128;
const MASK = SLOTS - 1;
type Pending = Map<number, number>;

export class Book {
  /** Size per grid index, in ring slots (index & MASK); 0 = no level. */
  private readonly bids = new Float64Array(SLOTS);
  private readonly asks = new Float64Array(SLOTS);
  /**
   * Id of the last applied update; every price move adds 1 (Spot), or 1 plus a random
   * jump (USD-M futures, whose ids are shared by all symbols, so one symbol's ids skip).
   */
  updateId: number;
  /** First id of the moves not yet in a 100 ms / 1000 ms diff (0: none yet). */
  private firstPending = 0;
  private firstPending1000 = 0;
  /** Id covered by the last 100 ms diff. */
  private flushedId: number;
  private flushed1000Id: number;
  private readonly pendBids: Pending = new Map();
  private readonly pendAsks: Pending = new Map();
  private readonly slowBids: Pending = new Map();
  private readonly slowAsks: Pending = new Map();
  /** Grid index of the best bid. */
  private g: number;
  /**
   * Record changes for diffs? Off while nobody follows this book's depth streams. A
   * client subscribing later still syncs: its snapshot is taken after it subscribed,
   * so it already holds every change this book did not record.
   */
  tracking = false;
  /**
   * Keep the book after each of the last `historyLimit` updates (0: off), so a test can
   * compare every snapshot a client published with the book at that update id
   * (`GET /_sim/book?symbol=&venue=&at=<id>`).
   */
  historyLimit = 0;
  /**
   * Record changes for Coinbase Advanced Trade level2 updates? On while someone follows
   * the product's level2 channel; {@link takeL2} hands them over after each move.
   */
  trackL2 = false;
  private readonly l2Bids: Pending = new Map();
  private readonly l2Asks: Pending = new Map();
  private readonly history = new Map<number, ReturnType<Book["snapshot"]>>();

  /** @param idJump futures ids: each move adds 1 + rand(0..idJump) (0 = Spot's contiguous ids). */
  constructor(
    private readonly rng: Prng,
    private readonly spec: BookSpec,
    px: number,
    private readonly idJump = 0,
    private readonly idRng?: Prng,
  ) {
    this.updateId = 1_000_000 + rng.int(9_000_000);
    this.flushedId = this.flushed1000Id = this.updateId;
    this.g = Math.floor(px / spec.step);
    for (let o = 0; o < WINDOW; o++) {
      if (o === 0 || rng.next() < FILL) this.bids[(this.g - o) & MASK] = this.qty(o);
      if (o === 0 || rng.next() < FILL) this.asks[(this.g + 1 + o) & MASK] = this.qty(o);
    }
  }

  get bestBid(): number {
    return this.g * this.spec.step;
  }
  get bestAsk(): number {
    return (this.g + 1) * this.spec.step;
  }
  get bestBidQty(): number {
    return this.bids[this.g & MASK]!;
  }
  get bestAskQty(): number {
    return this.asks[(this.g + 1) & MASK]!;
  }

  /** Follow a new last price and churn a few levels: one update id. */
  move(px: number): void {
    const g1 = Math.floor(px / this.spec.step);
    const g0 = this.g;
    const d = g1 - g0;
    const r = this.rng;
    if (Math.abs(d) >= WINDOW) {
      for (let o = 0; o < WINDOW; o++) {
        this.set(this.bids, this.pendBids, g0 - o, 0);
        this.set(this.asks, this.pendAsks, g0 + 1 + o, 0);
      }
      for (let o = 0; o < WINDOW; o++) {
        if (r.next() < FILL) this.set(this.bids, this.pendBids, g1 - o, this.qty(o));
        if (r.next() < FILL) this.set(this.asks, this.pendAsks, g1 + 1 + o, this.qty(o));
      }
    } else if (d > 0) {
      for (let k = g0 + 1; k <= g1; k++) this.set(this.asks, this.pendAsks, k, 0);
      for (let k = g0 - WINDOW + 1; k <= g1 - WINDOW; k++) this.set(this.bids, this.pendBids, k, 0);
      for (let k = g0 + 1; k <= g1; k++) if (r.next() < FILL) this.set(this.bids, this.pendBids, k, this.qty(g1 - k));
      for (let k = g0 + WINDOW + 1; k <= g1 + WINDOW; k++) if (r.next() < FILL) this.set(this.asks, this.pendAsks, k, this.qty(k - g1));
    } else if (d < 0) {
      for (let k = g1 + 1; k <= g0; k++) this.set(this.bids, this.pendBids, k, 0);
      for (let k = g1 + WINDOW + 1; k <= g0 + WINDOW; k++) this.set(this.asks, this.pendAsks, k, 0);
      for (let k = g1 + 1; k <= g0; k++) if (r.next() < FILL) this.set(this.asks, this.pendAsks, k, this.qty(k - g1));
      for (let k = g1 - WINDOW + 1; k <= g0 - WINDOW; k++) if (r.next() < FILL) this.set(this.bids, this.pendBids, k, this.qty(g1 - k));
    }
    this.g = g1;
    // Churn: a few levels change size or vanish, biased towards the top of the book.
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      const o = Math.floor(WINDOW * r.next() ** 2);
      const bid = r.next() < 0.5;
      const k = bid ? g1 - o : g1 + 1 + o;
      const q = o > 0 && r.next() < 0.25 ? 0 : this.qty(o);
      if (bid) this.set(this.bids, this.pendBids, k, q);
      else this.set(this.asks, this.pendAsks, k, q);
    }
    // The top of each side is always quoted, so the spread stays one grid step.
    if (this.bids[g1 & MASK] === 0) this.set(this.bids, this.pendBids, g1, this.qty(0));
    if (this.asks[(g1 + 1) & MASK] === 0) this.set(this.asks, this.pendAsks, g1 + 1, this.qty(0));
    this.updateId += this.idJump > 0 && this.idRng ? 1 + this.idRng.int(this.idJump + 1) : 1;
    if (this.firstPending === 0) this.firstPending = this.updateId;
    if (this.firstPending1000 === 0) this.firstPending1000 = this.updateId;
    if (this.historyLimit > 0) {
      this.history.set(this.updateId, this.snapshot(WINDOW));
      if (this.history.size > this.historyLimit) this.history.delete(this.history.keys().next().value!);
    }
  }

  /** The book right after update `id`, if it is still in the history. */
  at(id: number): ReturnType<Book["snapshot"]> | undefined {
    return this.history.get(id);
  }

  /**
   * The diff since the last call (the 100 ms stream), or null if nothing changed.
   * `slow`: someone follows the 1000 ms stream, so keep its diff too; otherwise that
   * stream just moves its start past what nobody will receive. `build`: false when no
   * one follows the 100 ms stream either (the diff is then returned without levels).
   */
  take100(slow: boolean, build = true): DepthDiff | null {
    if (this.updateId === this.flushedId) return null;
    const diff: DepthDiff = {
      U: this.firstPending || this.flushedId + 1,
      u: this.updateId,
      pu: this.flushedId,
      b: build ? this.levels(this.pendBids) : "",
      a: build ? this.levels(this.pendAsks) : "",
    };
    if (slow) {
      for (const [k, q] of this.pendBids) this.slowBids.set(k, q);
      for (const [k, q] of this.pendAsks) this.slowAsks.set(k, q);
    } else {
      this.flushed1000Id = this.updateId;
      this.firstPending1000 = 0;
      this.slowBids.clear();
      this.slowAsks.clear();
    }
    this.pendBids.clear();
    this.pendAsks.clear();
    this.flushedId = this.updateId;
    this.firstPending = 0;
    return diff;
  }

  /** The diff since the last call (the 1000 ms stream); call right after take100. */
  take1000(): DepthDiff | null {
    if (this.updateId === this.flushed1000Id) return null;
    const U = this.firstPending1000 || this.flushed1000Id + 1;
    const diff: DepthDiff = { U, u: this.updateId, pu: this.flushed1000Id, b: this.levels(this.slowBids), a: this.levels(this.slowAsks) };
    this.slowBids.clear();
    this.slowAsks.clear();
    this.flushed1000Id = this.updateId;
    this.firstPending1000 = 0;
    return diff;
  }

  /**
   * Lose one update id on the 100 ms stream (fault injection): call right after
   * take100, so the next diff starts 2 past the previous one and clients see a gap.
   */
  skipId(): void {
    if (this.updateId !== this.flushedId) return;
    this.updateId++;
    this.flushedId = this.updateId;
  }

  /** The top `limit` levels per side as Binance's REST snapshot. */
  snapshot(limit: number): { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] } {
    const { step, dec, qtyDec } = this.spec;
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    for (let o = 0; o < WINDOW && bids.length < limit; o++) {
      const q = this.bids[(this.g - o) & MASK]!;
      if (q > 0) bids.push([fixed8((this.g - o) * step, dec), fixed8(q, qtyDec)]);
    }
    for (let o = 0; o < WINDOW && asks.length < limit; o++) {
      const q = this.asks[(this.g + 1 + o) & MASK]!;
      if (q > 0) asks.push([fixed8((this.g + 1 + o) * step, dec), fixed8(q, qtyDec)]);
    }
    return { lastUpdateId: this.updateId, bids, asks };
  }

  /**
   * Coinbase level2: the levels changed since the last call, as `[price, size]` strings
   * (size "0": the level is gone), or null if none changed. The venue calls it after
   * every move, so each update message holds the changes of one move.
   */
  takeL2(): { bids: [string, string][]; asks: [string, string][] } | null {
    if (this.l2Bids.size === 0 && this.l2Asks.size === 0) return null;
    const out = { bids: this.pairs(this.l2Bids), asks: this.pairs(this.l2Asks) };
    this.l2Bids.clear();
    this.l2Asks.clear();
    return out;
  }

  /** Every level of the book as Coinbase prints it (minimal decimals): the level2 snapshot. */
  l2Snapshot(): { bids: [string, string][]; asks: [string, string][] } {
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    for (let o = 0; o < WINDOW; o++) {
      const qb = this.bids[(this.g - o) & MASK]!;
      if (qb > 0) bids.set(this.g - o, qb);
      const qa = this.asks[(this.g + 1 + o) & MASK]!;
      if (qa > 0) asks.set(this.g + 1 + o, qa);
    }
    return { bids: this.pairs(bids), asks: this.pairs(asks) };
  }

  private pairs(m: Pending): [string, string][] {
    const { step, dec, qtyDec } = this.spec;
    const out: [string, string][] = [];
    for (const [k, q] of m) out.push([fixed(k * step, dec), fixed(q, qtyDec)]);
    return out;
  }

  private set(side: Float64Array, pend: Pending, k: number, q: number): void {
    const slot = k & MASK;
    if (side[slot] === q) return;
    side[slot] = q;
    if (this.tracking) pend.set(k, q);
    if (this.trackL2) (pend === this.pendBids ? this.l2Bids : this.l2Asks).set(k, q);
  }

  /** A random size; deeper levels are a little larger on average. */
  private qty(depth: number): number {
    return Math.max(1, Math.round(this.spec.typQty * this.rng.logRange(0.05, 3) * (1 + depth / 10)));
  }

  private levels(m: Pending): string {
    if (m.size === 0) return "[]";
    const { step, dec, qtyDec } = this.spec;
    let s = "[";
    for (const [k, q] of m) s += (s.length > 1 ? ',["' : '["') + fixed8(k * step, dec) + '","' + fixed8(q, qtyDec) + '"]';
    return s + "]";
  }
}
