/**
 * A mergeable log-bucketed histogram for Trend metrics.
 *
 * k6 keeps every Trend sample; the runner cannot ship every sample from its worker
 * processes to the main process at 50,000 sockets, so each process records samples
 * into buckets whose width grows geometrically (1 % apart) and the main process merges
 * bucket counts. Percentiles are therefore exact to within ±0.5 % of the value; count,
 * sum (avg), min and max are exact.
 */

const GAMMA = 1.01;
const LOG_GAMMA = Math.log(GAMMA);

/** Bucket key of a positive value: bucket k covers (γ^k, γ^(k+1)]. */
function keyOf(abs: number): number {
  return Math.ceil(Math.log(abs) / LOG_GAMMA) - 1;
}

/** Representative value of bucket k: its geometric midpoint. */
function valueOf(key: number): number {
  return Math.pow(GAMMA, key + 0.5);
}

export type HistogramJSON = { pos: Array<[number, number]>; neg: Array<[number, number]>; zero: number };

export class Histogram {
  private pos = new Map<number, number>();
  private neg = new Map<number, number>();
  private zero = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  add(v: number): void {
    if (!Number.isFinite(v)) return; // NaN/Infinity would poison avg and percentiles
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (v > 0) {
      const k = keyOf(v);
      this.pos.set(k, (this.pos.get(k) ?? 0) + 1);
    } else if (v < 0) {
      const k = keyOf(-v);
      this.neg.set(k, (this.neg.get(k) ?? 0) + 1);
    } else this.zero++;
  }

  merge(o: Histogram | SerializedHistogram): void {
    if (o.count === 0) return;
    this.count += o.count;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    const b = o instanceof Histogram ? o.toJSON() : o.buckets;
    for (const [k, c] of b.pos) this.pos.set(k, (this.pos.get(k) ?? 0) + c);
    for (const [k, c] of b.neg) this.neg.set(k, (this.neg.get(k) ?? 0) + c);
    this.zero += b.zero;
  }

  get avg(): number {
    return this.count ? this.sum / this.count : 0;
  }

  /**
   * The p-th percentile (0–100), k6 style: linear interpolation between the samples at
   * ranks ⌊r⌋ and ⌈r⌉, r = p/100 × (count − 1). Returns 0 for an empty histogram.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const rank = (p / 100) * (this.count - 1);
    const lo = Math.floor(rank);
    const [a, b] = this.valuesAt(lo, Math.min(this.count - 1, lo + 1));
    return a + (b - a) * (rank - lo);
  }

  /** Values of the samples at (0-based, sorted) indexes i ≤ j. */
  private valuesAt(i: number, j: number): [number, number] {
    const out: number[] = [];
    let seen = 0;
    const take = (count: number, value: number) => {
      seen += count;
      for (let idx = out.length === 0 ? i : j; out.length < 2 && seen > idx; idx = j) {
        // The extremes are known exactly.
        out.push(idx === 0 ? this.min : idx === this.count - 1 ? this.max : this.clamp(value));
      }
    };
    // From the most negative value up: negative buckets by descending |key|, zero, positive.
    for (const k of [...this.neg.keys()].sort((x, y) => y - x)) take(this.neg.get(k)!, -valueOf(k));
    take(this.zero, 0);
    for (const k of [...this.pos.keys()].sort((x, y) => x - y)) take(this.pos.get(k)!, valueOf(k));
    return [out[0] ?? this.max, out[1] ?? this.max];
  }

  private clamp(v: number): number {
    return Math.min(this.max, Math.max(this.min, v));
  }

  toJSON(): HistogramJSON {
    return { pos: [...this.pos], neg: [...this.neg], zero: this.zero };
  }

  serialize(): SerializedHistogram {
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, buckets: this.toJSON() };
  }
}

/** What crosses the IPC channel between a worker and the main process. */
export type SerializedHistogram = { count: number; sum: number; min: number; max: number; buckets: HistogramJSON };
