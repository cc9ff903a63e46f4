/**
 * `ops lake compact --date YYYY-MM-DD`: merge each hour partition's small files of that
 * day (per dataset and venue) into files of up to ARCHIVE_FILE_BYTES (128 MiB), sorted
 * by symbol then time. Files already at the target size are left alone; the rest are
 * packed, oldest first, into groups whose inputs add up to at most the target, and each
 * group of two or more becomes one file.
 *
 * Per group, atomically: write the merged file under a temporary name, verify it
 * (row count and distinct messages equal the originals'), commit it under its final
 * name (`<first>-<last>.c<hash>.parquet`, never equal to an original's), then delete the
 * originals. A failure before the commit leaves the originals untouched and removes
 * the temporary file. A crash between commit and delete leaves originals whose
 * messages are all inside a compacted file; the next run deletes those first.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Logger } from "@logtape/logtape";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../../lib/lake/duck.ts";
import { removeQuietly } from "../../lib/lake/fsutil.ts";
import { DATASETS, type DatasetName, dayPath, fileName, isTmpName, parseFileName, tmpName } from "../../lib/lake/partition.ts";
import type { Lake } from "./lake.ts";

export class CompactionError extends Error {
  override name = "CompactionError";
}
export const isCompactionError = (e: unknown): e is CompactionError => e instanceof Error && e.name === "CompactionError";

export interface CompactOptions {
  date: string;
  datasets?: readonly DatasetName[];
  log?: Logger;
  /** Target file size (default ARCHIVE_FILE_BYTES of the lake's settings). */
  targetBytes?: number;
  /** Fault injection for tests: called with the merged temporary file before it is verified. */
  afterWrite?: (tmpPath: string, partition: string) => Promise<void>;
}

export interface CompactReport {
  partitions: number;
  filesIn: number;
  filesOut: number;
  rows: number;
  /** Leftover originals of an interrupted compaction, deleted. */
  leftovers: number;
  failed: Array<{ partition: string; error: string }>;
}

/** The partitions of a day: `<dataset>/date=YYYY-MM-DD/hour=*\/exchange=*`. */
async function dayPartitions(lake: Lake, ds: DatasetName, day: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of await lake.target.dirs(`${ds}/${day}`)) {
    if (!h.startsWith("hour=")) continue;
    for (const ex of await lake.target.dirs(`${ds}/${day}/${h}`)) if (ex.startsWith("exchange=")) out.push(`${ds}/${day}/${h}/${ex}`);
  }
  return out;
}

/** Pack files (oldest first) into groups whose sizes add up to at most `target`; groups of one are dropped. */
export function packGroups(files: Array<{ key: string; size: number }>, target: number): string[][] {
  const groups: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const f of files) {
    if (f.size >= target) continue;
    if (cur.length && bytes + f.size > target) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f.key);
    bytes += f.size;
  }
  groups.push(cur);
  return groups.filter((g) => g.length >= 2);
}

export async function compactDay(lake: Lake, o: CompactOptions): Promise<CompactReport> {
  const day = dayPath(o.date);
  const report: CompactReport = { partitions: 0, filesIn: 0, filesOut: 0, rows: 0, leftovers: 0, failed: [] };
  const work = await mkdtemp(join(tmpdir(), "tf-compact-"));
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await db.connect();
  try {
    for (const ds of o.datasets ?? DATASETS) {
      for (const partition of await dayPartitions(lake, ds, day)) {
        try {
          await compactPartition(lake, c, partition, work, o, report);
        } catch (e) {
          const error = (e as Error).message;
          report.failed.push({ partition, error });
          o.log?.error("compaction of {partition} failed, originals kept: {error}", { partition, error });
        }
      }
    }
  } finally {
    c.closeSync();
    db.closeSync();
    await rm(work, { recursive: true, force: true });
  }
  return report;
}

const one = async (c: DuckDBConnection, sql: string): Promise<number> => Number((await c.runAndReadAll(sql)).getRowsJS()[0]![0]);

async function compactPartition(lake: Lake, c: DuckDBConnection, partition: string, work: string, o: CompactOptions, report: CompactReport): Promise<void> {
  const objects = await lake.target.list(`${partition}/`);
  const sizes = new Map(objects.map((x) => [x.key, x.size]));
  const byFirst = (a: string, b: string) => parseFileName(a)!.first - parseFileName(b)!.first || (a < b ? -1 : 1);
  const files = objects.filter((x) => parseFileName(x.key) && !isTmpName(x.key)).map((x) => x.key).sort(byFirst);
  if (files.length < 2) return;
  report.partitions++;
  const local = new Map<string, string>();
  for (const key of files) {
    const f = await lake.target.fetch(key, join(work, "in"));
    local.set(key, f.path);
  }
  const list = (keys: string[]) => `[${keys.map((k) => sqlString(local.get(k)!)).join(", ")}]`;

  // Leftovers of an interrupted compaction: originals whose messages are all in a compacted file.
  const seqs = new Map<string, Set<number>>();
  for (const k of files) {
    const r = await c.runAndReadAll(`SELECT DISTINCT _seq::DOUBLE FROM read_parquet(${sqlString(local.get(k)!)}, hive_partitioning = false)`);
    seqs.set(k, new Set(r.getColumnsJS()[0] as number[]));
  }
  const compacted = files.filter((k) => parseFileName(k)!.compacted);
  const leftovers = files.filter((k) =>
    !parseFileName(k)!.compacted && compacted.some((ck) => [...seqs.get(k)!].every((s) => seqs.get(ck)!.has(s)))
  );
  if (leftovers.length) {
    o.log?.warn("{partition}: deleting {n} files already inside a compacted file", { partition, n: leftovers.length });
    await lake.target.delete(leftovers);
    report.leftovers += leftovers.length;
  }
  const rest = files.filter((k) => !leftovers.includes(k)).map((key) => ({ key, size: sizes.get(key) ?? 0 }));
  for (const inputs of packGroups(rest, o.targetBytes ?? lake.settings.ARCHIVE_FILE_BYTES)) {
    await compactGroup(lake, c, partition, inputs, list, work, o, report);
  }
}

async function compactGroup(
  lake: Lake,
  c: DuckDBConnection,
  partition: string,
  inputs: string[],
  list: (keys: string[]) => string,
  work: string,
  o: CompactOptions,
  report: CompactReport,
): Promise<void> {
  const rowsIn = await one(c, `SELECT count(*) FROM read_parquet(${list(inputs)}, hive_partitioning = false, union_by_name = true)`);
  const msgsIn = await one(c, `SELECT count(DISTINCT _seq) FROM read_parquet(${list(inputs)}, hive_partitioning = false, union_by_name = true)`);
  const ranges = inputs.map((k) => parseFileName(k)!);
  const first = Math.min(...ranges.map((r) => r.first));
  const last = Math.max(...ranges.map((r) => r.last));
  const tag = createHash("sha256").update(inputs.join("\n")).digest("hex").slice(0, 8);
  const key = `${partition}/${fileName(first, last, tag)}`;
  const out = tmpName(join(work, "out", key));
  await mkdir(dirname(out), { recursive: true });
  try {
    await c.run(
      `COPY (SELECT * FROM read_parquet(${list(inputs)}, hive_partitioning = false, union_by_name = true) ORDER BY symbol, ts, _seq) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await o.afterWrite?.(out, partition);
    const rowsOut = await one(c, `SELECT count(*) FROM read_parquet(${sqlString(out)}, hive_partitioning = false)`);
    const msgsOut = await one(c, `SELECT count(DISTINCT _seq) FROM read_parquet(${sqlString(out)}, hive_partitioning = false)`);
    if (rowsOut !== rowsIn || msgsOut !== msgsIn) {
      throw new CompactionError(`${partition}: merged file has ${rowsOut} rows / ${msgsOut} messages, originals ${rowsIn} / ${msgsIn}`);
    }
    // Commit: after this point the merged file is in the lake; the originals go next.
    await lake.target.put(out, key);
  } finally {
    await removeQuietly(out);
  }
  await lake.target.delete(inputs);
  report.filesIn += inputs.length;
  report.filesOut++;
  report.rows += rowsIn;
  o.log?.info("{partition}: {n} files → {key} ({rows} rows)", { partition, n: inputs.length, key, rows: rowsIn });
}
