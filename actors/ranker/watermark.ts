/**
 * Event-time watermark for the pulse windows and the candles.
 *
 *   watermark = max exchTs seen − allowed lateness
 *
 * A window [start, end) closes when the watermark reaches `end`; a tick whose window
 * has closed is late and dropped (and counted). So a tick may arrive up to `lateness`
 * after a later tick of any symbol and still count.
 *
 * When ticks stop, nothing would advance the watermark and the last window would never
 * close; so once live (caught up with the stream), the wall clock also drives it:
 *
 *   watermark = max(max exchTs seen, now − idleMs) − lateness
 *
 * During a replay the wall clock is ignored, or it would close the replayed windows
 * before their ticks arrive.
 */
export interface WatermarkOptions {
  /** Allowed lateness in ms (ALLOWED_LATENESS); default 5000. */
  latenessMs?: number;
  /** How far behind the wall clock exchange time may fall before the clock drives the watermark; default 5000. */
  idleMs?: number;
}

export class Watermark {
  readonly latenessMs: number;
  readonly idleMs: number;
  #maxExch = -Infinity;

  constructor(o: WatermarkOptions = {}) {
    this.latenessMs = o.latenessMs ?? 5000;
    this.idleMs = o.idleMs ?? 5000;
    if (!(this.latenessMs >= 0) || !(this.idleMs >= 0)) throw new RangeError("latenessMs and idleMs must be >= 0");
  }

  observe(exchTs: number): void {
    if (exchTs > this.#maxExch) this.#maxExch = exchTs;
  }

  get maxExchTs(): number {
    return this.#maxExch;
  }

  /** The watermark; pass `now` only when live. -Infinity before any tick (and without `now`). */
  value(now?: number): number {
    const driven = now === undefined ? this.#maxExch : Math.max(this.#maxExch, now - this.idleMs);
    return driven - this.latenessMs;
  }
}

/** Start of the window of length `size` that contains `t`. */
export const floorTo = (t: number, size: number): number => Math.floor(t / size) * size;
/** Smallest window start ≥ t. */
export const ceilTo = (t: number, size: number): number => Math.ceil(t / size) * size;
