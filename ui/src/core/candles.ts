/**
 * Candles of one symbol and timeframe, merged by start time: history (the `history`
 * op, and the edge's replay with `since: 0`), the lake (`GET /candles`) and live updates
 * of the forming candle land in the same place, so duplicates from an overlap are
 * harmless. Per start, the better source wins whatever the order of arrival: a live or
 * ROOMLOG candle over a lake one, a lake one over the venue's klines (`source: "venue"`);
 * within one source a final candle is never replaced by an in-progress one.
 */
import type { CandleData } from "../../../lib/contracts/protocol.ts";

export interface Point {
  x: number;
  y: number;
}

/** Where a candle came to the series from: the lake (`GET /candles`) or the edge's rooms and `history` op. */
export type CandleOrigin = "lake" | "edge";

/** Venue klines < lake < live/ROOMLOG. */
const rankOf = (c: CandleData, origin: CandleOrigin): number => (origin === "lake" ? 1 : c.source === "venue" ? 0 : 2);

export class CandleSeries {
  private readonly byStart = new Map<number, CandleData>();
  private readonly rank = new Map<number, number>();
  private sorted: CandleData[] | undefined = [];

  /** Keeps at most `max` candles (default a day of minutes and some). */
  constructor(readonly symbol: string, private readonly max = 3000) {}

  get size(): number {
    return this.byStart.size;
  }

  /**
   * Insert or replace the candle that starts at `c.start` (see the header for which
   * wins); candles of other symbols are ignored. True when the series changed.
   */
  upsert(c: CandleData, origin: CandleOrigin = "edge"): boolean {
    if (c.symbol !== this.symbol || !Number.isFinite(c.start)) return false;
    const cur = this.byStart.get(c.start);
    const had = cur !== undefined;
    const r = rankOf(c, origin);
    if (cur) {
      const rc = this.rank.get(c.start)!;
      if (r < rc || (r === rc && cur.final && !c.final)) return false;
    }
    this.byStart.set(c.start, c);
    this.rank.set(c.start, r);
    if (!had) {
      this.sorted = undefined;
      if (this.byStart.size > this.max) {
        const oldest = Math.min(...this.byStart.keys());
        this.byStart.delete(oldest);
        this.rank.delete(oldest);
      }
    } else if (this.sorted) {
      const i = this.sorted.findIndex((x) => x.start === c.start);
      if (i >= 0) this.sorted[i] = c;
    }
    return true;
  }

  clear(): void {
    this.byStart.clear();
    this.rank.clear();
    this.sorted = [];
  }

  /** Candles by start time, oldest first. */
  list(): CandleData[] {
    this.sorted ??= [...this.byStart.values()].sort((a, b) => a.start - b.start);
    return this.sorted;
  }

  /** Close prices as chart points (x = minute start, ms), skipping minutes without trades. */
  closes(): Point[] {
    const out: Point[] = [];
    for (const c of this.list()) if (!c.empty && c.close !== null) out.push({ x: c.start, y: c.close });
    return out;
  }
}
