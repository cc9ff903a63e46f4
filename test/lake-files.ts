/**
 * Real Parquet files in the lake layout, written directly with DuckDB in the archiver's
 * column schema (symbol, market, then the dataset's columns; hive date/hour/exchange in
 * the path, one file per dataset, hour and venue, sorted by symbol and time): a lake for
 * reader tests in a fraction of the time the archiver process takes (test/archived-lake.ts).
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "../lib/lake/duck.ts";
import { NAME_COLUMNS } from "../lib/lake/ds-common.ts";
import { ticks as ticksDs } from "../lib/lake/ds-ticks.ts";
import { trades as tradesDs } from "../lib/lake/ds-trades.ts";
import { fileName, hourIndex, partitionPath } from "../lib/lake/partition.ts";

export interface LakeTickRow { symbol: string; venue: string; ts: number; price: number; volume24h?: number; lastSize?: number; seq: number }
export interface LakeTradeRow { symbol: string; venue: string; ts: number; price: number; size: number; seq: number }

type Conn = Awaited<ReturnType<DuckDBInstance["connect"]>>;

async function writeFile(c: Conn, root: string, dataset: "ticks" | "trades", venue: string, hour: number, rows: Array<Record<string, unknown>>, first: number): Promise<void> {
  const ds = dataset === "ticks" ? ticksDs : tradesDs;
  const cols = [...NAME_COLUMNS, ...ds.schema];
  const path = join(root, partitionPath(dataset, venue, hour), fileName(first, first + rows.length - 1));
  await mkdir(dirname(path), { recursive: true });
  const lit = (v: unknown, type: string) =>
    v === undefined || v === null ? "NULL" : type === "TIMESTAMP" ? `epoch_ms(${Number(v)}::BIGINT)` : type === "VARCHAR" ? sqlString(String(v)) : String(v);
  const values = rows.map((r) => `(${cols.map(([c, t]) => `${lit(r[c], t)}::${t}`).join(", ")})`).join(",\n");
  await c.run(`COPY (SELECT * FROM (VALUES ${values}) AS v(${cols.map(([n]) => n).join(", ")}) ORDER BY symbol, ts, _seq) TO ${sqlString(path)} (FORMAT parquet)`);
}

/** Write rows grouped the archiver's way: one file per dataset, hour and venue. */
export async function writeLake(root: string, ticks: LakeTickRow[], trades: LakeTradeRow[]): Promise<void> {
  const groups = new Map<string, { dataset: "ticks" | "trades"; venue: string; hour: number; rows: Array<Record<string, unknown>> }>();
  const add = (dataset: "ticks" | "trades", venue: string, ts: number, row: Record<string, unknown>) => {
    const k = `${dataset}|${venue}|${hourIndex(ts)}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { dataset, venue, hour: hourIndex(ts), rows: [] }));
    g.rows.push(row);
  };
  for (const t of ticks) {
    add("ticks", t.venue, t.ts, { symbol: t.symbol, market: "spot", ts: t.ts, recv_ts: t.ts + 5, price: t.price, volume_24h: t.volume24h, last_size: t.lastSize, venue_seq: t.seq, _seq: t.seq });
  }
  for (const t of trades) {
    add("trades", t.venue, t.ts, { symbol: t.symbol, market: "spot", ts: t.ts, recv_ts: t.ts + 5, price: t.price, size: t.size, side: "buy", trade_id: `t${t.seq}`, _seq: t.seq });
  }
  let first = 1;
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    for (const g of groups.values()) {
      await writeFile(c, root, g.dataset, g.venue, g.hour, g.rows, first);
      first += g.rows.length;
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

