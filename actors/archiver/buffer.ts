/**
 * The open buffer of one partition (dataset, date, hour, venue): rows of every symbol
 * in float64 column arrays (plus string arrays), moved into its DuckDB table a full
 * chunk at a time, and the messages whose rows it holds.
 */
import type { Dataset, RowSink } from "../../lib/lake/datasets.ts";
import { type BufferTable, CHUNK_ROWS } from "../../lib/lake/duck.ts";
import type { Held } from "./held.ts";

/** Bytes a buffered row costs in DuckDB: 8 per numeric column, ~32 per string. */
export const rowBytes = (ds: Dataset): number => ds.columns.length * 8 + ds.strings.length * 32;

export class PartitionBuffer implements RowSink {
  readonly cols: Float64Array[];
  readonly strs: string[][];
  n = 0;
  /** Rows in this buffer (appended to DuckDB or still in the column arrays). */
  rows = 0;
  firstSeq = Number.POSITIVE_INFINITY;
  lastSeq = 0;
  readonly held: Held[] = [];
  /** Set when a flush takes the buffer; no row may be written after that. */
  sealed = false;
  readonly rowBytes: number;

  readonly #seqCol: number;
  readonly #symCol: number;
  readonly #mktCol: number;
  #seq = 0;
  #sym = 0;
  #mkt = 0;

  constructor(
    readonly dataset: Dataset,
    /** Partition path, e.g. `ticks/date=2025-11-22/hour=6/exchange=sim`. */
    readonly key: string,
    readonly table: BufferTable,
    readonly createdAt: number,
  ) {
    this.cols = dataset.columns.map(() => new Float64Array(CHUNK_ROWS));
    this.strs = dataset.strings.map(() => new Array<string>(CHUNK_ROWS).fill(""));
    this.#seqCol = dataset.columns.indexOf("_seq");
    this.#symCol = dataset.columns.indexOf("_sym");
    this.#mktCol = dataset.columns.indexOf("_mkt");
    this.rowBytes = rowBytes(dataset);
  }

  /** Estimated bytes of the buffered rows. */
  get bytes(): number {
    return this.rows * this.rowBytes;
  }

  /** Stream sequence and dictionary ids of the part about to be written. */
  begin(seq: number, sym: number, mkt: number): void {
    this.#seq = seq;
    this.#sym = sym;
    this.#mkt = mkt;
  }

  endRow(): void {
    const r = this.n;
    this.cols[this.#seqCol]![r] = this.#seq;
    this.cols[this.#symCol]![r] = this.#sym;
    this.cols[this.#mktCol]![r] = this.#mkt;
    this.rows++;
    if (++this.n === CHUNK_ROWS) this.pushChunk();
  }

  appendColumns(src: readonly Float64Array[], srcStrs: readonly string[][], offset: number, n: number): void {
    let done = 0;
    while (done < n) {
      const take = Math.min(n - done, CHUNK_ROWS - this.n);
      const from = offset + done;
      for (let c = 0; c < this.cols.length; c++) {
        const to = this.cols[c]!;
        if (c === this.#seqCol) to.fill(this.#seq, this.n, this.n + take);
        else if (c === this.#symCol) to.fill(this.#sym, this.n, this.n + take);
        else if (c === this.#mktCol) to.fill(this.#mkt, this.n, this.n + take);
        else if (take <= 16) {
          // A message's part is a few rows: a loop is cheaper than a subarray per column.
          const f = src[c]!;
          for (let i = 0; i < take; i++) to[this.n + i] = f[from + i]!;
        } else to.set(src[c]!.subarray(from, from + take), this.n);
      }
      for (let s = 0; s < this.strs.length; s++) {
        const to = this.strs[s]!;
        const f = srcStrs[s]!;
        for (let i = 0; i < take; i++) to[this.n + i] = f[from + i]!;
      }
      this.n += take;
      this.rows += take;
      done += take;
      if (this.n === CHUNK_ROWS) this.pushChunk();
    }
  }

  /** Record that rows of `held` (stream sequence `held.seq`) are in this buffer. */
  addHeld(held: Held): void {
    held.hold();
    this.held.push(held);
    if (held.seq < this.firstSeq) this.firstSeq = held.seq;
    if (held.seq > this.lastSeq) this.lastSeq = held.seq;
  }

  /** Move the rows of the column arrays into DuckDB. */
  pushChunk(): void {
    this.table.append(this.cols, this.strs, this.n);
    this.n = 0;
  }

  /** The distinct stream sequences in this buffer, sorted. */
  seqs(): Float64Array {
    const s = Float64Array.from(this.held, (h) => h.seq).sort();
    let k = 0;
    for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[k - 1]) s[k++] = s[i]!;
    return s.slice(0, k);
  }
}
