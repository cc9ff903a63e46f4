/**
 * DuckDB side of the archiver: one in-memory database holding a table per open
 * partition buffer, filled through DuckDB's appender a whole data chunk (2,048 rows)
 * at a time, symbol and market names as dictionary ids, and written to Parquet
 * with `COPY (SELECT ... ORDER BY symbol, ts) TO ... (FORMAT parquet, COMPRESSION zstd)`.
 *
 * Appends run on one connection (synchronous calls on the event loop), COPYs on a
 * second and reads (sequence look-ups) on a third: a connection runs one statement at
 * a time, and a COPY in DuckDB's threads must not share one with an append or a read.
 */
import { DOUBLE, type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, VARCHAR } from "@duckdb/node-api";
import type { Dataset } from "./datasets.ts";

/** {@link ORDER_BY} on a buffer table (`b`): symbol name, then time, stream order, row in the message. */
const ORDER_BY_BUFFER = "ys.s, b.ts, b._seq, b._i";

/** Rows per DuckDB data chunk (DuckDB's vector size). */
export const CHUNK_ROWS = 2048;

export class DuckError extends Error {
  override name = "DuckError";
}
export const isDuckError = (e: unknown): e is DuckError => e instanceof Error && e.name === "DuckError";

export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

export interface DuckOptions {
  /** DuckDB worker threads (COPY, reads). Default 2. */
  threads?: number;
  /** e.g. "1GB"; DuckDB spills to tempDir above it. */
  memoryLimit?: string;
  tempDir?: string;
}

/** A buffer table of one partition and its appender. */
export class BufferTable {
  #closed = false;
  constructor(
    readonly name: string,
    readonly dataset: Dataset,
    private readonly appender: DuckDBAppender,
    private readonly chunk: DuckDBDataChunk,
  ) {}

  /** Append the first `n` rows of the column arrays (numeric columns, then string columns). */
  append(cols: readonly Float64Array[], strs: readonly string[][], n: number): void {
    if (n === 0) return;
    const chunk = this.chunk;
    chunk.rowCount = n;
    for (let c = 0; c < cols.length; c++) {
      const src = cols[c]!;
      const vec = chunk.getColumnVector(c);
      // A DOUBLE vector keeps its values in a Float64Array (`items`, private in the typings):
      // one typed-array copy instead of a setItem call per value. The buffers never hold
      // NULLs (NaN stands for missing), so the validity mask stays all-valid.
      const items = (vec as unknown as { items?: unknown }).items;
      if (items instanceof Float64Array && items.length === n) items.set(n === src.length ? src : src.subarray(0, n));
      else for (let i = 0; i < n; i++) vec.setItem(i, src[i]!);
      vec.flush();
    }
    for (let s = 0; s < strs.length; s++) {
      const src = strs[s]!;
      const vec = chunk.getColumnVector(cols.length + s);
      for (let i = 0; i < n; i++) vec.setItem(i, src[i]!);
      vec.flush();
    }
    this.appender.appendDataChunk(chunk);
  }

  /** Make appended rows visible to the COPY connection and release the appender. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.appender.flushSync();
    this.appender.closeSync();
  }
}

/** Runs async work one at a time (a DuckDB connection runs one statement at a time). */
class Serial {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(fn, fn);
    this.#tail = p.catch(() => undefined);
    return p;
  }
}

export class DuckWriter {
  #seq = 0;
  #chunks = new Map<string, DuckDBDataChunk>();
  /** Symbol and market names → ids in the `_dict` table (a few thousand names at most). */
  #dict = new Map<string, number>();
  #ddl = new Serial();
  #copy = new Serial();
  #read = new Serial();

  private constructor(
    private readonly db: DuckDBInstance,
    private readonly appendConn: DuckDBConnection,
    private readonly copyConn: DuckDBConnection,
    private readonly readConn: DuckDBConnection,
    // CREATE TABLE runs here, not on appendConn: a statement still pending on the
    // appenders' connection makes a concurrent (synchronous) appender flush fail with
    // "unsuccessful or closed pending query result".
    private readonly ddlConn: DuckDBConnection,
  ) {}

  static async open(o: DuckOptions = {}): Promise<DuckWriter> {
    const opts: Record<string, string> = { threads: String(o.threads ?? 2) };
    if (o.memoryLimit) opts.memory_limit = o.memoryLimit;
    if (o.tempDir) opts.temp_directory = o.tempDir;
    const db = await DuckDBInstance.create(":memory:", opts);
    const w = new DuckWriter(db, await db.connect(), await db.connect(), await db.connect(), await db.connect());
    return w;
  }

  /**
   * The dictionary id of a symbol or market name. The names reach DuckDB only inside
   * the COPY statement (a VALUES list), so nothing on the append path waits for DuckDB.
   */
  dictId(name: string): number {
    let id = this.#dict.get(name);
    if (id === undefined) this.#dict.set(name, (id = this.#dict.size + 1));
    return id;
  }

  /** `(VALUES (1, 'BTC-USD'), ...) AS alias(id, s)` of every name so far. */
  #dictValues(alias: string): string {
    const rows = [...this.#dict].map(([s, id]) => `(${id}::DOUBLE, ${sqlString(s)})`);
    return `(VALUES ${rows.length ? rows.join(", ") : "(0::DOUBLE, '')"}) AS ${alias}(id, s)`;
  }

  /** A new empty buffer table for a dataset. */
  async createTable(dataset: Dataset): Promise<BufferTable> {
    const name = `buf_${dataset.name}_${++this.#seq}`;
    const cols = [...dataset.columns.map((c) => `${c} DOUBLE`), ...dataset.strings.map((c) => `${c} VARCHAR`)];
    const appender = await this.#ddl.run(async () => {
      await this.ddlConn.run(`CREATE TABLE ${name} (${cols.join(", ")})`);
      return await this.appendConn.createAppender(name);
    });
    let chunk = this.#chunks.get(dataset.name);
    if (!chunk) {
      chunk = DuckDBDataChunk.create([...dataset.columns.map(() => DOUBLE), ...dataset.strings.map(() => VARCHAR)], CHUNK_ROWS);
      this.#chunks.set(dataset.name, chunk);
    }
    return new BufferTable(name, dataset, appender, chunk);
  }

  /** Write the table, sorted by symbol and time, to a Parquet file at `path` (overwritten), then drop the table. */
  async copyAndDrop(table: BufferTable, path: string): Promise<void> {
    table.close();
    const sql = `COPY (SELECT ys.s AS symbol, ms.s AS market, ${table.dataset.select} FROM ${table.name} b ` +
      `JOIN ${this.#dictValues("ys")} ON ys.id = b._sym JOIN ${this.#dictValues("ms")} ON ms.id = b._mkt ORDER BY ${ORDER_BY_BUFFER}) ` +
      `TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`;
    try {
      await this.#copy.run(() => this.copyConn.run(sql));
    } catch (e) {
      throw new DuckError(`COPY of ${table.name} to ${path} failed: ${(e as Error).message}`, { cause: e });
    }
    await this.drop(table);
  }

  async drop(table: BufferTable): Promise<void> {
    table.close();
    await this.#copy.run(() => this.copyConn.run(`DROP TABLE IF EXISTS ${table.name}`));
  }

  /** The distinct stream sequences in Parquet files, sorted. */
  async seqsOf(paths: string[]): Promise<Float64Array> {
    if (paths.length === 0) return new Float64Array(0);
    const list = `[${paths.map(sqlString).join(", ")}]`;
    const r = await this.#read.run(() =>
      this.readConn.runAndReadAll(`SELECT DISTINCT _seq::DOUBLE AS s FROM read_parquet(${list}, hive_partitioning = false) ORDER BY s`)
    );
    return Float64Array.from(r.getColumnsJS()[0] as number[] ?? []);
  }

  /** Run a statement on the read connection and return rows as JS objects (for tests and tools). */
  async all(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.#read.run(() => this.readConn.runAndReadAll(sql))).getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.appendConn.closeSync();
    this.ddlConn.closeSync();
    this.copyConn.closeSync();
    this.readConn.closeSync();
    this.db.closeSync();
  }
}

/** Binary search in a sorted array. */
export function hasSeq(sorted: Float64Array, seq: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === seq) return true;
    if (v < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
