/** A RowSink that collects rows of any number of parts into growing column arrays (used by decode workers). */
import type { RowSink } from "../../lib/lake/datasets.ts";

export class CollectingSink implements RowSink {
  cols: Float64Array[];
  strs: string[][];
  n = 0;
  #cap: number;

  constructor(private readonly width: number, strings = 0, cap = 4096) {
    this.#cap = cap;
    this.cols = Array.from({ length: width }, () => new Float64Array(cap));
    this.strs = Array.from({ length: strings }, () => []);
  }

  endRow(): void {
    if (++this.n === this.#cap) {
      this.#cap *= 2;
      this.cols = this.cols.map((c) => {
        const g = new Float64Array(this.#cap);
        g.set(c);
        return g;
      });
    }
  }

  appendColumns(): void {
    throw new TypeError("CollectingSink collects rows one at a time");
  }

  /** The columns trimmed to the rows written (copies, so they can be transferred). */
  take(): Float64Array[] {
    return this.cols.map((c) => c.slice(0, this.n));
  }
}
