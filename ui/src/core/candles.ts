/**
 * Candles of one symbol and timeframe, merged by start time: history (the `history`
 * op, and the edge's replay with `since: 0`) and live updates of the forming candle
 * land in the same place, so duplicates from an overlap are harmless. A final candle is
 * never replaced by an in-progress one.
 */
import type { CandleData } from "../../../lib/contracts/protocol.ts";

export interface Point {
  x: number;
  y: number;
}

export class CandleSeries {
  private readonly byStart = new Map<number, CandleData>();
  private sorted: CandleData[] | undefined = [];

  /** Keeps at most `max` candles (default a day of minutes and some). */
  constructor(readonly symbol: string, private readonly max = 3000) {}

  get size(): number {
    return this.byStart.size;
  }

  /** Insert or replace the candle that starts at `c.start`; candles of other symbols are ignored. */
  upsert(c: CandleData): boolean {
    if (c.symbol !== this.symbol || !Number.isFinite(c.start)) return false;
    const cur = this.byStart.get(c.start);
    const had = cur !== undefined;
    if (cur && cur.final && !c.final) return false;
    this.byStart.set(c.start, c);
    if (!had) {
      this.sorted = undefined;
      if (this.byStart.size > this.max) {
        const oldest = Math.min(...this.byStart.keys());
        this.byStart.delete(oldest);
      }
    } else if (this.sorted) {
      const i = this.sorted.findIndex((x) => x.start === c.start);
      if (i >= 0) this.sorted[i] = c;
    }
    return true;
  }

  clear(): void {
    this.byStart.clear();
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
