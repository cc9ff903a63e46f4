/**
 * The open buffer of one partition: rows in float64 column arrays, moved into its
 * DuckDB table a full chunk at a time, plus the messages whose rows it holds.
 */
import { type Dataset, type RowSink, seqColumn } from "./datasets.ts";
import { type BufferTable, CHUNK_ROWS } from "./duck.ts";
import type { Held } from "./held.ts";

export class PartitionBuffer implements RowSink {
  readonly cols: Float64Array[];
  n = 0;
  /** Rows in this buffer (appended to DuckDB or still in the column arrays). */
  rows = 0;
  firstSeq = Number.POSITIVE_INFINITY;
  lastSeq = 0;
  readonly held: Held[] = [];
  /** Set when a flush takes the buffer; no row may be written after that. */
  sealed = false;

  readonly #seqCol: number;

  constructor(
    readonly dataset: Dataset,
    /** Partition path, e.g. `ticks/exchange=sim/.../hour=07`. */
    readonly key: string,
    readonly table: BufferTable,
    readonly createdAt: number,
  ) {
    this.cols = dataset.columns.map(() => new Float64Array(CHUNK_ROWS));
    this.#seqCol = seqColumn(dataset);
  }

  endRow(): void {
    this.rows++;
    if (++this.n === CHUNK_ROWS) this.pushChunk();
  }

  appendColumns(src: readonly Float64Array[], offset: number, n: number, seq: number): void {
    const seqCol = this.#seqCol;
    let done = 0;
    while (done < n) {
      const take = Math.min(n - done, CHUNK_ROWS - this.n);
      for (let c = 0; c < this.cols.length; c++) {
        if (c === seqCol) this.cols[c]!.fill(seq, this.n, this.n + take);
        else this.cols[c]!.set(src[c]!.subarray(offset + done, offset + done + take), this.n);
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
    this.table.append(this.cols, this.n);
    this.n = 0;
  }

  /** The distinct stream sequences in this buffer, sorted. */
  seqs(): Float64Array {
    const s = Float64Array.from(this.held, (h) => h.seq);
    return s.sort();
  }
}
