/**
 * Local order book of one Binance symbol, kept in sync by the documented procedure.
 *
 * Spot (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams):
 * buffer diff events, fetch a REST snapshot, drop events with `u <= lastUpdateId`,
 * require the first kept event to straddle (`U <= lastUpdateId+1 <= u`), then require
 * every next event's `U` to be the previous `u + 1`.
 *
 * USD-M futures (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly):
 * update ids are not contiguous (they are shared across symbols), so `U` is never
 * compared with the previous `u`; instead every event names the previous event's
 * final id in `pu`. Drop events with `u < lastUpdateId`; the first kept event must
 * have `U <= lastUpdateId <= u`; then each event's `pu` must equal the previous `u`.
 *
 * Anything else is a gap: the book goes back to buffering and asks for a new snapshot.
 *
 * Pure state machine (no I/O): the caller feeds events and snapshots and acts on the
 * returned outcome, which makes every transition testable with plain data.
 */
import type { BookLevel } from "../../../lib/contracts/messages.ts";

export interface DepthEvent {
  U: number;
  u: number;
  /** USD-M futures: the previous event's `u` on this stream. */
  pu?: number;
  b: ReadonlyArray<readonly [number, number]>;
  a: ReadonlyArray<readonly [number, number]>;
}
export interface DepthSnapshot {
  lastUpdateId: number;
  bids: ReadonlyArray<readonly [number, number]>;
  asks: ReadonlyArray<readonly [number, number]>;
}

export type BookState = "buffering" | "synced";

export type DiffOutcome =
  | { type: "buffered" }
  | { type: "applied" }
  /** Older than the book (u <= lastUpdateId): dropped. */
  | { type: "stale" }
  /** Continuity broken; the book was reset and needs a new snapshot. */
  | { type: "gap"; expected: number; got: number };

export type SnapshotOutcome =
  /** The book is live (buffered events applied). */
  | { type: "synced" }
  /** The snapshot is older than the first buffered event: fetch another. */
  | { type: "too-old"; expected: number; got: number };

export class OrderBook {
  state: BookState = "buffering";
  lastUpdateId = 0;
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private buffer: DepthEvent[] = [];
  /** The next applied event is the first after a snapshot and must straddle. */
  private first = true;

  /**
   * @param maxBuffer events kept while waiting for a snapshot (oldest dropped beyond it).
   * @param rule `spot` (U = previous u + 1) or `usdm` (pu = previous u).
   */
  constructor(
    private readonly maxBuffer = 5000,
    readonly rule: "spot" | "usdm" = "spot",
  ) {}

  /** Back to buffering (after a reconnect or a gap). */
  reset(): void {
    this.state = "buffering";
    this.buffer = [];
    this.bids.clear();
    this.asks.clear();
    this.lastUpdateId = 0;
    this.first = true;
  }

  onDiff(e: DepthEvent): DiffOutcome {
    if (this.state === "buffering") {
      this.buffer.push(e);
      if (this.buffer.length > this.maxBuffer) this.buffer.shift();
      return { type: "buffered" };
    }
    if (this.rule === "usdm") return this.onFuturesDiff(e);
    if (e.u <= this.lastUpdateId) return { type: "stale" };
    const next = this.lastUpdateId + 1;
    const ok = this.first ? e.U <= next && next <= e.u : e.U === next;
    if (!ok) return this.broken(e, next, e.U);
    this.apply(e);
    return { type: "applied" };
  }

  private onFuturesDiff(e: DepthEvent): DiffOutcome {
    const last = this.lastUpdateId;
    if (e.u < last) return { type: "stale" };
    if (this.first) {
      // The documented straddle; or the event that follows the snapshot exactly (its
      // pu is the snapshot's id): with non-contiguous ids a snapshot taken between two
      // events has no event straddling it, and nothing was missed.
      if ((e.U <= last && last <= e.u) || e.pu === last) {
        this.apply(e);
        return { type: "applied" };
      }
      return this.broken(e, last, e.pu ?? e.U);
    }
    if (e.pu !== last) return this.broken(e, last, e.pu ?? -1);
    this.apply(e);
    return { type: "applied" };
  }

  private broken(e: DepthEvent, expected: number, got: number): DiffOutcome {
    this.reset();
    this.buffer.push(e);
    return { type: "gap", expected, got };
  }

  onSnapshot(s: DepthSnapshot): SnapshotOutcome {
    const futures = this.rule === "usdm";
    const pending = this.buffer.filter((e) => (futures ? e.u >= s.lastUpdateId : e.u > s.lastUpdateId));
    const head = pending[0];
    const tooOld = head && (futures ? head.U > s.lastUpdateId && head.pu !== s.lastUpdateId : head.U > s.lastUpdateId + 1);
    if (head && tooOld) {
      // Events between the snapshot and the buffer are missing: this snapshot cannot be used.
      this.buffer = pending;
      return { type: "too-old", expected: futures ? s.lastUpdateId : s.lastUpdateId + 1, got: head.U };
    }
    this.bids.clear();
    this.asks.clear();
    for (const [p, q] of s.bids) if (q > 0) this.bids.set(p, q);
    for (const [p, q] of s.asks) if (q > 0) this.asks.set(p, q);
    this.lastUpdateId = s.lastUpdateId;
    this.state = "synced";
    this.first = true;
    this.buffer = [];
    for (const e of pending) {
      const r = this.onDiff(e);
      // Cannot happen after the head check unless the buffer itself has a hole.
      if (r.type === "gap") return { type: "too-old", expected: r.expected, got: r.got };
    }
    return { type: "synced" };
  }

  private apply(e: DepthEvent): void {
    for (const [p, q] of e.b) q === 0 ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of e.a) q === 0 ? this.asks.delete(p) : this.asks.set(p, q);
    this.lastUpdateId = e.u;
    this.first = false;
  }

  /** Best `n` levels per side: bids high → low, asks low → high. */
  top(n: number): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    const bids = [...this.bids].sort((x, y) => y[0] - x[0]).slice(0, n);
    const asks = [...this.asks].sort((x, y) => x[0] - y[0]).slice(0, n);
    return { bids, asks };
  }

  /** Flattened levels for a BookSnapshot message. */
  levels(n: number): BookLevel[] {
    const { bids, asks } = this.top(n);
    return [
      ...bids.map(([price, qty], level) => ({ side: "bid" as const, price, qty, level })),
      ...asks.map(([price, qty], level) => ({ side: "ask" as const, price, qty, level })),
    ];
  }

  size(): { bids: number; asks: number; buffered: number } {
    return { bids: this.bids.size, asks: this.asks.size, buffered: this.buffer.length };
  }
}
