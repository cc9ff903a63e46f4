/**
 * Lake layout: hive partition paths, file names that carry the JetStream stream
 * sequence range, and parsing them back.
 *
 *   <dataset>/date=YYYY-MM-DD/hour=H/exchange=<venue>/<first>-<last>.parquet
 *
 * Time first, so a date or hour range is a handful of S3 prefixes to list; the venue
 * next (a few values); market and symbol are columns inside the file, which is sorted
 * by symbol then time, so Parquet row-group statistics skip other symbols. A symbol
 * partition would make one tiny file per symbol and hour (the old layout: 900 files in
 * 4.5 minutes at the default feed).
 *
 * Compacted files add a short hash of the files they replaced
 * (`<first>-<last>.c<hash>.parquet`) so their name never equals one of the originals.
 */

export const DATASETS = ["ticks", "book", "bookdelta", "trades", "gaps"] as const;
export type DatasetName = (typeof DATASETS)[number];
export const isDatasetName = (s: string): s is DatasetName => (DATASETS as readonly string[]).includes(s);

/** Partition values must be safe path segments (same rule as subject tokens). */
const VALUE = /^[A-Za-z0-9_\-]+$/;
export const isPartitionValue = (s: string): boolean => VALUE.test(s) && s.length <= 64;

const HOUR_MS = 3_600_000;
/**
 * `date=YYYY-MM-DD/hour=H` for an hour index (ms / 3,600,000), cached because every
 * message needs it. The hour is not zero-padded (DuckDB's hive typing reads `5` as a
 * number); the date is ISO, which DuckDB types as DATE.
 */
const hourPaths = new Map<number, string>();
export function hourPath(hourIndex: number): string {
  let p = hourPaths.get(hourIndex);
  if (p === undefined) {
    const d = new Date(hourIndex * HOUR_MS);
    p = `date=${d.toISOString().slice(0, 10)}/hour=${d.getUTCHours()}`;
    if (hourPaths.size > 10_000) hourPaths.clear();
    hourPaths.set(hourIndex, p);
  }
  return p;
}

export const hourIndex = (tsMs: number): number => Math.floor(tsMs / HOUR_MS);

/** The partition directory of a dataset, relative to the lake root (no leading or trailing slash). */
export function partitionPath(dataset: DatasetName, venue: string, hour: number): string {
  return `${dataset}/${hourPath(hour)}/exchange=${venue}`;
}

/** `date=YYYY-MM-DD` of a `YYYY-MM-DD` date; throws a RangeError for anything else. */
export function dayPath(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const d = m ? new Date(`${date}T00:00:00Z`) : undefined;
  if (!m || !d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) {
    throw new RangeError(`expected a date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
  return `date=${date}`;
}

/** hive_types for read_parquet, so partition columns are integers whatever the values look like. */
export const HIVE_TYPES = "{'date': DATE, 'hour': INTEGER, 'exchange': VARCHAR}";

export const fileName = (firstSeq: number, lastSeq: number, tag?: string): string =>
  `${firstSeq}-${lastSeq}${tag ? `.c${tag}` : ""}.parquet`;

const NAME = /^(\d+)-(\d+)(?:\.c([0-9a-f]+))?\.parquet$/;

export interface ParsedFile {
  first: number;
  last: number;
  compacted: boolean;
}

/** The sequence range of a lake file name (the last path segment), or undefined if it is not one. */
export function parseFileName(name: string): ParsedFile | undefined {
  const m = NAME.exec(name.slice(name.lastIndexOf("/") + 1));
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return first <= last ? { first, last, compacted: m[3] !== undefined } : undefined;
}

/** Temporary files are never named `*.parquet`, so readers (`**\/*.parquet`) never see them. */
export const tmpName = (path: string): string => `${path}.tmp-${Math.random().toString(36).slice(2, 10)}`;
export const isTmpName = (name: string): boolean => /\.tmp-[a-z0-9]+$/.test(name);
