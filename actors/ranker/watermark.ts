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
 *
 * One maximum per venue: the watermark follows the venue that is furthest behind
 * (min over venues of their max exchTs), so one venue's clock running ahead cannot make
 * every other venue's ticks late. A venue whose stamps run ahead of the receive time by
 * more than `maxSkewMs` is corrected before it gets here (see {@link clampExchTs}).
 */
export interface WatermarkOptions {
  /** Allowed lateness in ms (ALLOWED_LATENESS); default 5000. */
  latenessMs?: number;
  /** How far behind the wall clock exchange time may fall before the clock drives the watermark; default 5000. */
  idleMs?: number;
}

/**
 * The exchange time to use for a tick: its own, unless it is more than `maxSkewMs`
 * ahead of when the shard received it (a venue clock in the future, or a bad stamp);
 * then the receive time. Returns the time and whether it was corrected.
 */
export function clampExchTs(exchTs: number, recvTs: number, maxSkewMs: number): { ts: number; corrected: boolean } {
  return exchTs - recvTs > maxSkewMs ? { ts: recvTs, corrected: true } : { ts: exchTs, corrected: false };
}

export class Watermark {
  readonly latenessMs: number;
  readonly idleMs: number;
  /** Newest exchange time per venue. */
  readonly #maxByVenue = new Map<string, number>();
  #maxExch = -Infinity;

  constructor(o: WatermarkOptions = {}) {
    this.latenessMs = o.latenessMs ?? 5000;
    this.idleMs = o.idleMs ?? 5000;
    if (!(this.latenessMs >= 0) || !(this.idleMs >= 0)) throw new RangeError("latenessMs and idleMs must be >= 0");
  }

  observe(exchTs: number, venue = ""): void {
    const cur = this.#maxByVenue.get(venue);
    if (cur !== undefined && exchTs <= cur) return;
    this.#maxByVenue.set(venue, exchTs);
    let min = Infinity;
    for (const v of this.#maxByVenue.values()) if (v < min) min = v;
    this.#maxExch = min;
  }

  /** The event time the watermark follows: the slowest venue's newest exchange time. */
  get maxExchTs(): number {
    return this.#maxExch;
  }

  /** Newest exchange time of each venue seen. */
  venues(): Record<string, number> {
    return Object.fromEntries(this.#maxByVenue);
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
