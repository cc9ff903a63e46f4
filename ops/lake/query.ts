/**
 * `ops lake query "SQL"`: DuckDB over the lake with the views `ticks`, `book` and
 * `bookdelta` (hive partition columns exchange, market, symbol, year, month, day,
 * hour included). A dataset with no files yet is an empty table of the same columns,
 * so `SELECT count(*) FROM ticks` works on a fresh lake.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { DATASET } from "../../actors/archiver/datasets.ts";
import { PARTITION_COLUMNS } from "../../actors/archiver/datasets.ts";
import { sqlString } from "../../actors/archiver/duck.ts";
import { DATASETS, HIVE_TYPES } from "../../actors/archiver/partition.ts";
import { type Lake, syncMirror } from "./lake.ts";

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export class QueryError extends Error {
  override name = "QueryError";
}
export const isQueryError = (e: unknown): e is QueryError => e instanceof Error && e.name === "QueryError";

/** Create the dataset views over a local directory on a DuckDB connection. */
export async function createViews(run: (sql: string) => Promise<unknown>, count: (sql: string) => Promise<number>, root: string): Promise<void> {
  for (const name of DATASETS) {
    const glob = `${root}/${name}/**/*.parquet`;
    if ((await count(`SELECT count(*)::INTEGER FROM glob(${sqlString(glob)})`)) > 0) {
      await run(
        `CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = ${HIVE_TYPES}, union_by_name = true)`,
      );
    } else {
      const cols = [...DATASET[name].schema, ...PARTITION_COLUMNS].map(([c, t]) => `${c} ${t}`).join(", ");
      await run(`CREATE OR REPLACE TABLE ${name} (${cols})`);
    }
  }
}

/** Run `sql` over the lake (for S3, over the mirror after syncing it). Throws QueryError for SQL errors. */
export async function queryLake(lake: Lake, sql: string, opts: { sync?: boolean } = {}): Promise<QueryResult> {
  if (opts.sync ?? true) await syncMirror(lake);
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await createViews(
      (s) => c.run(s),
      async (s) => (await c.runAndReadAll(s)).getRowsJS()[0]![0] as number,
      lake.localRoot,
    );
    let r;
    try {
      r = await c.runAndReadAll(sql);
    } catch (e) {
      throw new QueryError((e as Error).message, { cause: e });
    }
    return { columns: r.columnNames(), rows: r.getRowsJS() as unknown[][] };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** JSON-safe value: bigint → number (string if unsafe), Date → ISO string. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** An array of row objects. */
export function formatJson(r: QueryResult): string {
  return JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, plain(row[i])]))));
}

/** A plain-text table with a header rule; numbers right-aligned. */
export function formatTable(r: QueryResult): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return "NULL";
    if (typeof v === "string") return v;
    if (v instanceof Date) return v.toISOString();
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    return JSON.stringify(plain(v));
  };
  const cells = r.rows.map((row) => row.map(cell));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = r.columns.map((_, i) => r.rows.length > 0 && r.rows.every((row) => typeof row[i] === "number" || typeof row[i] === "bigint" || row[i] === null));
  const line = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ").trimEnd();
  const out = [line(r.columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  out.push(`(${r.rows.length} row${r.rows.length === 1 ? "" : "s"})`);
  return out.join("\n");
}
