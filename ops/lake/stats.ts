/**
 * `tickflow lake stats` (files, rows and bytes per partition) and `tickflow lake
 * coverage` (per symbol: the time covered by ticks and the holes: silences longer than
 * `--max-silence`, and the venue sequence gaps the shards reported on `md.gap.>`).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "../../lib/lake/duck.ts";
import { DATASETS, type DatasetName, parseFileName } from "../../lib/lake/partition.ts";
import { type Lake, syncMirror } from "./lake.ts";
import { createViews, type QueryResult } from "./query.ts";

/** One row per partition: dataset, date, hour, exchange, files, rows, bytes. */
export async function lakeStats(lake: Lake, datasets: readonly DatasetName[] = DATASETS): Promise<QueryResult> {
  const rows: unknown[][] = [];
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  const c = await db.connect();
  try {
    for (const ds of datasets) {
      await syncMirror(lake, [`${ds}/`]);
      const objects = (await lake.target.list(`${ds}/`)).filter((o) => parseFileName(o.key));
      const parts = new Map<string, { files: string[]; bytes: number }>();
      for (const o of objects) {
        const dir = o.key.slice(0, o.key.lastIndexOf("/"));
        let p = parts.get(dir);
        if (!p) parts.set(dir, (p = { files: [], bytes: 0 }));
        p.files.push(`${lake.localRoot}/${o.key}`);
        p.bytes += o.size;
      }
      for (const [dir, p] of [...parts].sort(([a], [b]) => (a < b ? -1 : 1))) {
        // Row counts from the Parquet footers only.
        const r = await c.runAndReadAll(`SELECT sum(num_rows)::BIGINT FROM parquet_file_metadata([${p.files.map(sqlString).join(", ")}])`);
        const v = (k: string) => new RegExp(`${k}=([^/]+)`).exec(dir)?.[1] ?? "";
        rows.push([ds, v("date"), Number(v("hour")), v("exchange"), p.files.length, Number(r.getRowsJS()[0]![0]), p.bytes]);
      }
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return { columns: ["dataset", "date", "hour", "exchange", "files", "rows", "bytes"], rows };
}

export interface CoverageOptions {
  from: Date;
  to: Date;
  symbol?: string;
  /** A silence longer than this between two ticks of a symbol is a hole (ms). */
  maxSilenceMs: number;
}

const ts = (d: Date) => `TIMESTAMP ${sqlString(d.toISOString().replace("T", " ").replace("Z", ""))}`;

/** Per exchange and symbol: first and last tick, ticks, and every hole (silence or reported gap) in [from, to). */
export async function lakeCoverage(lake: Lake, o: CoverageOptions): Promise<QueryResult> {
  await syncMirror(lake, ["ticks/", "gaps/"]);
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await db.connect();
  try {
    await createViews((s) => c.run(s), async (s) => (await c.runAndReadAll(s)).getRowsJS()[0]![0] as number, lake.localRoot);
    const where = `ts >= ${ts(o.from)} AND ts < ${ts(o.to)} AND date BETWEEN ${ts(o.from)}::DATE AND ${ts(o.to)}::DATE` +
      (o.symbol ? ` AND symbol = ${sqlString(o.symbol)}` : "");
    const sql = `
      WITH t AS (SELECT exchange, symbol, ts, lag(ts) OVER (PARTITION BY exchange, symbol ORDER BY ts) AS prev FROM ticks WHERE ${where}),
      sums AS (SELECT exchange, symbol, min(ts) AS first, max(ts) AS last, count(*) AS ticks FROM t GROUP BY ALL),
      silences AS (SELECT exchange, symbol, prev AS hole_from, ts AS hole_to, 'no ticks for ' || (epoch_ms(ts) - epoch_ms(prev)) // 1000 || ' s' AS why
                   FROM t WHERE epoch_ms(ts) - epoch_ms(prev) > ${o.maxSilenceMs}),
      reported AS (SELECT exchange, symbol, ts AS hole_from, ts AS hole_to, 'venue seq ' || expected || ' → ' || got || ' (' || (got - expected) || ' missing)' AS why
                   FROM gaps WHERE ${where}),
      holes AS (SELECT * FROM silences UNION ALL SELECT * FROM reported)
      SELECT s.exchange, s.symbol, s.first, s.last, s.ticks, h.hole_from, h.hole_to, h.why
      FROM sums s LEFT JOIN holes h USING (exchange, symbol) ORDER BY s.exchange, s.symbol, h.hole_from NULLS FIRST`;
    const r = await c.runAndReadAll(sql);
    return { columns: r.columnNames(), rows: r.getRowsJS() as unknown[][] };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
