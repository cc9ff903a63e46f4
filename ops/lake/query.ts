/**
 * `ops lake query "SQL"`: DuckDB over the lake with the views `ticks`, `book` and
 * `bookdelta` (hive partition columns exchange, market, symbol, year, month, day,
 * hour included). A dataset with no files yet is an empty table of the same columns,
 * so `SELECT count(*) FROM ticks` works on a fresh lake.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { DATASET } from "../../lib/lake/datasets.ts";
import { NAME_COLUMNS, PARTITION_COLUMNS } from "../../lib/lake/datasets.ts";
import { sqlString } from "../../lib/lake/duck.ts";
import { DATASETS, HIVE_TYPES } from "../../lib/lake/partition.ts";
import { fetchKeys, type Lake, syncMirror } from "./lake.ts";

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export class QueryError extends Error {
  override name = "QueryError";
}
export const isQueryError = (e: unknown): e is QueryError => e instanceof Error && e.name === "QueryError";

/**
 * Create the dataset views over a local directory on a DuckDB connection: over every
 * file, or only over the files listed per dataset (lake keys, relative to `root`).
 */
export async function createViews(
  run: (sql: string) => Promise<unknown>,
  count: (sql: string) => Promise<number>,
  root: string,
  only?: Map<string, string[]>,
): Promise<void> {
  for (const name of DATASETS) {
    const glob = `${root}/${name}/**/*.parquet`;
    const keys = only?.get(name);
    const source = keys ? `[${keys.map((k) => sqlString(`${root}/${k}`)).join(", ")}]` : sqlString(glob);
    if (keys ? keys.length > 0 : (await count(`SELECT count(*)::INTEGER FROM glob(${sqlString(glob)})`)) > 0) {
      await run(
        `CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_parquet(${source}, hive_partitioning = true, hive_types = ${HIVE_TYPES}, union_by_name = true)`,
      );
    } else {
      const cols = [...NAME_COLUMNS, ...DATASET[name].schema, ...PARTITION_COLUMNS].map(([c, t]) => `${c} ${t}`).join(", ");
      await run(`CREATE OR REPLACE TABLE ${name} (${cols})`);
    }
  }
}

/** Which partitions a query needs: days from..to (UTC, inclusive), and one venue. */
export interface QueryScope {
  from?: Date;
  to?: Date;
  exchange?: string;
}

/**
 * The lake keys a scope needs, per dataset: one listing per dataset and day (`<ds>/date=D/`),
 * filtered by venue; undefined when the scope has no dates (everything).
 */
export async function scopedKeys(lake: Lake, scope: QueryScope): Promise<Map<string, string[]> | undefined> {
  if (!scope.from && !scope.to && !scope.exchange) return undefined;
  const out = new Map<string, string[]>();
  const days: string[] = [];
  if (scope.from || scope.to) {
    const from = scope.from ?? new Date(0);
    const to = scope.to ?? new Date();
    if (to.getTime() - from.getTime() > 3660 * 86_400_000) throw new RangeError("--from/--to span more than ten years");
    for (let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); t <= to.getTime(); t += 86_400_000) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
  }
  for (const ds of DATASETS) {
    const prefixes = days.length ? days.map((d) => `${ds}/date=${d}/`) : [`${ds}/`];
    const keys: string[] = [];
    for (const p of prefixes) {
      for (const o of await lake.target.list(p)) {
        if (!o.key.endsWith(".parquet")) continue;
        if (scope.exchange && !o.key.includes(`/exchange=${scope.exchange}/`)) continue;
        keys.push(o.key);
      }
    }
    out.set(ds, keys);
  }
  return out;
}

/**
 * Run `sql` over the lake. With a scope only the partitions it names are read, and for
 * S3 only those objects are downloaded (listed by prefix); without one, an S3 lake is
 * mirrored whole. Throws QueryError for SQL errors.
 */
export async function queryLake(lake: Lake, sql: string, opts: { sync?: boolean; scope?: QueryScope } = {}): Promise<QueryResult> {
  const only = opts.scope ? await scopedKeys(lake, opts.scope) : undefined;
  if (only && lake.target.kind === "s3") {
    for (const keys of only.values()) await fetchKeys(lake, keys);
  } else if (opts.sync ?? true) await syncMirror(lake);
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await createViews(
      (s) => c.run(s),
      async (s) => (await c.runAndReadAll(s)).getRowsJS()[0]![0] as number,
      lake.localRoot,
      only,
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
