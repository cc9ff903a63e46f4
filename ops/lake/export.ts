/**
 * `tickflow lake export "SQL" --format csv|parquet|ndjson [--out FILE]` (DuckDB's own
 * COPY writes the result: streamed, never held in memory; without --out, CSV and NDJSON
 * go to stdout) and `tickflow lake retention [--days N]` (deletes whole days older than
 * N days, default ARCHIVE_RETENTION_DAYS).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "../../lib/lake/duck.ts";
import { DATASETS } from "../../lib/lake/partition.ts";
import { fetchKeys, type Lake, syncMirror } from "./lake.ts";
import { createViews, QueryError, type QueryScope, scopedKeys } from "./query.ts";

export const EXPORT_FORMATS = ["csv", "parquet", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const COPY_OPTIONS: Record<ExportFormat, string> = {
  csv: "FORMAT csv, HEADER true",
  parquet: "FORMAT parquet, COMPRESSION zstd",
  ndjson: "FORMAT json",
};

export async function lakeExport(lake: Lake, sql: string, o: { format: ExportFormat; out?: string; scope?: QueryScope }): Promise<void> {
  if (o.format === "parquet" && !o.out) throw new RangeError("--format parquet needs --out FILE");
  const only = o.scope ? await scopedKeys(lake, o.scope) : undefined;
  if (only && lake.target.kind === "s3") for (const keys of only.values()) await fetchKeys(lake, keys);
  else await syncMirror(lake);
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await createViews((s) => c.run(s), async (s) => (await c.runAndReadAll(s)).getRowsJS()[0]![0] as number, lake.localRoot, only);
    try {
      await c.run(`COPY (${sql}) TO ${sqlString(o.out ?? "/dev/stdout")} (${COPY_OPTIONS[o.format]})`);
    } catch (e) {
      throw new QueryError((e as Error).message, { cause: e });
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Delete every day partition older than `days` days before `now` (UTC). Returns the days and objects removed. */
export async function lakeRetention(lake: Lake, days: number, now = new Date()): Promise<{ days: string[]; objects: number }> {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`retention needs a number of days ≥ 1, got ${days}`);
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const removed = new Set<string>();
  let objects = 0;
  for (const ds of DATASETS) {
    for (const d of await lake.target.dirs(ds)) {
      const date = /^date=(\d{4}-\d{2}-\d{2})$/.exec(d)?.[1];
      if (!date || date >= cutoff) continue;
      const keys = (await lake.target.list(`${ds}/${d}/`)).map((x) => x.key);
      await lake.target.delete(keys);
      objects += keys.length;
      removed.add(date);
    }
  }
  return { days: [...removed].sort(), objects };
}
