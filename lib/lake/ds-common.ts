/**
 * What every archived dataset shares: the row sink a message writes into, the part
 * (rows of one message for one partition and symbol), the dataset description, and
 * the validation helpers.
 *
 * Buffers hold numeric columns as float64 (NaN = missing), so rows are copied into
 * DuckDB as whole vectors and the COPY query casts them to their real types; symbol
 * and market are ids of a dictionary table (joined at COPY time); the few free-text
 * columns (a trade id) are string arrays.
 *
 * Decoding validates against the bus schemas in lib/contracts/messages.ts. A hand-written
 * check accepts the common valid message without running zod (zod costs ~3 µs per
 * tick); anything it does not accept goes through zod, which gives the error text (or
 * accepts it after all). So the accepted set is exactly the schema's, plus one rule of
 * the lake: venue, market and symbol must be usable as path segments or values.
 */
import type { z } from "zod";
import { type DatasetName, isPartitionValue } from "./partition.ts";

/** Where a part writes its rows: column arrays of the current chunk and the row index in it. */
export interface RowSink {
  readonly cols: Float64Array[];
  /** String columns (the dataset's `strings`), same row index. */
  readonly strs: string[][];
  readonly n: number;
  /** Ends the row; the sink fills `_seq`, `_sym` and `_mkt` itself. */
  endRow(): void;
  /**
   * Append `n` rows at once from column arrays (numeric and string), starting at row
   * `offset` of each source column; `_seq`, `_sym`, `_mkt` are set by the sink.
   */
  appendColumns(src: readonly Float64Array[], strs: readonly string[][], offset: number, n: number): void;
}

/** The rows of one message that belong to one partition and one symbol. */
export interface Part {
  /** Partition path, e.g. `ticks/date=2025-11-22/hour=6/exchange=sim`. */
  readonly key: string;
  readonly symbol: string;
  readonly market: string;
  readonly rows: number;
  write(sink: RowSink): void;
}

export type DecodeResult = { ok: true; parts: Part[] } | { ok: false; error: string };

export interface Dataset {
  readonly name: DatasetName;
  /** The consumer's filter subject. */
  readonly subject: string;
  /**
   * Numeric buffer columns (DOUBLE). Each ends with `_i` (row index in the message),
   * `_seq` (stream sequence), `_sym` and `_mkt` (dictionary ids), filled by the sink.
   */
  readonly columns: readonly string[];
  /** String buffer columns (VARCHAR). */
  readonly strings: readonly string[];
  /** Select list from the buffer table to the Parquet schema (symbol and market are added in front). */
  readonly select: string;
  /** Parquet columns and DuckDB types without symbol, market and the hive partition columns. */
  readonly schema: ReadonlyArray<readonly [string, string]>;
  decode(bytes: Uint8Array): DecodeResult;
}

/** The sink-filled columns at the end of every dataset's numeric columns. */
export const TAIL = ["_i", "_seq", "_sym", "_mkt"] as const;
export const seqColumn = (ds: Dataset): number => ds.columns.indexOf("_seq");

/** Columns every file has in front of the dataset's own. */
export const NAME_COLUMNS = [["symbol", "VARCHAR"], ["market", "VARCHAR"]] as const;

/** Hive partition columns every dataset gets from its path. */
export const PARTITION_COLUMNS = [
  ["date", "DATE"],
  ["hour", "INTEGER"],
  ["exchange", "VARCHAR"],
] as const;

/** Row order inside a file: symbol, time, stream order, position in the message. */
export const ORDER_BY = "symbol, ts, _seq, _i";

const dec = new TextDecoder();
export const fin = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
export const opt = (x: unknown): boolean => x === undefined || fin(x);
export const nat = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
export const int = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
export const str = (x: unknown): x is string => typeof x === "string";
export const orNaN = (x: number | undefined): number => (x === undefined ? NaN : x);
export const nullable = (c: string): string => `CASE WHEN isnan(${c}) THEN NULL ELSE ${c} END AS ${c}`;
export const SIDE = "CASE WHEN side = 0 THEN 'bid' ELSE 'ask' END AS side";
// deno-lint-ignore no-explicit-any
export type Loose = any;

export function parseJson(bytes: Uint8Array): { ok: true; value: Loose } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(dec.decode(bytes)) };
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
}

/** zod's verdict on a message the fast check refused: the parsed value, or the first issue as text. */
export function slowPath<S extends z.ZodType>(schema: S, raw: unknown): { ok: true; value: z.infer<S> } | { ok: false; error: string } {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid message" };
}

export function badPartition(venue: string, market: string, symbol: string): string | undefined {
  if (!isPartitionValue(venue)) return `venue ${JSON.stringify(venue)} is not usable as a partition value`;
  if (!isPartitionValue(market)) return `market ${JSON.stringify(market)} is not usable as a partition value`;
  if (!isPartitionValue(symbol)) return `symbol ${JSON.stringify(symbol)} is not usable as a partition value`;
  return undefined;
}
