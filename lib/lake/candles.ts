/**
 * Candles from the lake: OHLCV of one symbol and timeframe aggregated by DuckDB over the
 * archived Parquet trades and ticks, for the chart history that ROOMLOG (24 h of
 * `room.candles.*`) does not hold. The edge serves them as `GET /candles`
 * (edge/http/candles.ts).
 *
 * The rule is the ranker's (actors/ranker/candles.ts), applied to what was archived:
 * - a venue that has trades of the symbol in the range counts its trades (`source:
 *   "trades"`), volume the trade sizes; the other venues count each tick as one trade
 *   at its price (`source: "ticker"`), volume the tick's `last_size` or else the rise
 *   of `volume_24h` since the venue's previous tick in the range (decreases and the
 *   first tick add nothing). Degraded CoinGecko ticks are not trades and are left out.
 * - open/close are the earliest/latest price by exchange time, then stream order.
 * - a period between two periods with data that has none is an `empty` candle (null
 *   OHLC, zero volume), also marked `down` ("no data", not "no trades") when the lake
 *   has no partition of its hours at all (the archiver or the feed was down); nothing is
 *   invented before the first or after the last period with data.
 * - a candle is `final` when the lake holds ticks after its end; the newest periods
 *   (the archiver flushes every few seconds) are `final: false`, so a live candle of the
 *   same period always wins over it.
 *
 * Only the hour partitions the range touches are listed, and the symbol is a `WHERE`
 * that Parquet's row-group statistics prune (files are sorted by symbol).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { CandleData } from "../contracts/protocol.ts";
import { lakeCandleRange, type LakeCandleQuery } from "./candles-query.ts";
import { sqlString } from "./duck.ts";
import { HIVE_TYPES } from "./partition.ts";

export * from "./candles-query.ts";

const HOUR_MS = 3_600_000;
const DEGRADED_VENUE = "coingecko";

export interface LakeFile {
  path: string;
  /** Hour index (ms / 3,600,000) of its partition. */
  hour: number;
}

/** Parquet files of `dataset` whose hour partition overlaps [from, to), under a local lake root. */
export async function lakeFiles(root: string, dataset: "ticks" | "trades", from: number, to: number): Promise<LakeFile[]> {
  const out: LakeFile[] = [];
  const base = join(root, dataset);
  const dirs = async (p: string, prefix: string) =>
    (await readdir(p, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory() && d.name.startsWith(prefix)).map((d) => d.name);
  const firstDay = Math.floor(from / 86_400_000);
  const lastDay = Math.floor((to - 1) / 86_400_000);
  for (const dd of (await dirs(base, "date=")).sort()) {
    const day = Math.floor(Date.parse(`${dd.slice(5)}T00:00:00Z`) / 86_400_000);
    if (!(day >= firstDay && day <= lastDay)) continue;
    for (const hd of await dirs(join(base, dd), "hour=")) {
      const h = day * 24 + Number(hd.slice(5));
      if ((h + 1) * HOUR_MS <= from || h * HOUR_MS >= to) continue;
      for (const vd of await dirs(join(base, dd, hd), "exchange=")) {
        const files = await readdir(join(base, dd, hd, vd)).catch(() => [] as string[]);
        for (const f of files.sort()) if (f.endsWith(".parquet")) out.push({ path: join(base, dd, hd, vd, f), hour: h });
      }
    }
  }
  return out;
}

const scan = (files: LakeFile[]) =>
  `read_parquet([${files.map((f) => sqlString(f.path)).join(", ")}], hive_partitioning = true, hive_types = ${HIVE_TYPES}, union_by_name = true)`;

type Row = [number, number, number, number, number, number, number, boolean];

/** The candles of `q` over the lake at `root`, oldest first (see the header for the rule). */
export async function lakeCandles(root: string, q: LakeCandleQuery, now = Date.now()): Promise<CandleData[]> {
  const { tf, iv, from, to } = lakeCandleRange(q, now);
  const [tickFiles, tradeFiles] = await Promise.all([lakeFiles(root, "ticks", from, to), lakeFiles(root, "trades", from, to)]);
  if (tickFiles.length === 0 && tradeFiles.length === 0) return [];
  const range = `symbol = ${sqlString(q.symbol)} AND ts >= epoch_ms(${from}::BIGINT) AND ts < epoch_ms(${to}::BIGINT)`;
  const parts: string[] = [];
  if (tradeFiles.length) {
    parts.push(`trade_rows AS (SELECT exchange, ts, _seq, price, size AS vol, TRUE AS traded FROM ${scan(tradeFiles)} WHERE ${range})`);
  }
  if (tickFiles.length) {
    parts.push(
      `tick_rows AS (SELECT exchange, ts, _seq, price, COALESCE(last_size, ` +
        `GREATEST(volume_24h - lag(volume_24h) OVER (PARTITION BY exchange ORDER BY ts, _seq), 0), 0) AS vol, FALSE AS traded ` +
        `FROM ${scan(tickFiles)} WHERE ${range} AND exchange <> ${sqlString(DEGRADED_VENUE)})`,
    );
  }
  const rows = tradeFiles.length && tickFiles.length
    ? `SELECT * FROM trade_rows UNION ALL SELECT * FROM tick_rows WHERE exchange NOT IN (SELECT DISTINCT exchange FROM trade_rows)`
    : `SELECT * FROM ${tradeFiles.length ? "trade_rows" : "tick_rows"}`;
  const all = [...tickFiles, ...tradeFiles];
  // Hours the archive holds anything of: an empty period outside them is "no data" (`down`), not "no trades".
  const hours = new Set(all.map((f) => f.hour));
  const newest = Math.max(...hours);
  // Newest archived time of any symbol (in the newest hour's files): periods ending after it may still be filling.
  const covered = `(SELECT max(ts) FROM ${scan(all.filter((f) => f.hour === newest))})`;
  const sql = `WITH ${parts.join(", ")}, all_rows AS (${rows}) ` +
    `SELECT (epoch_ms(ts) // ${iv}) * ${iv} AS start, first(price ORDER BY ts, _seq), max(price), min(price), last(price ORDER BY ts, _seq), ` +
    `sum(vol), count(*), bool_or(traded) FROM all_rows GROUP BY start ORDER BY start`;
  const db = await DuckDBInstance.create(":memory:", { memory_limit: "256MB", threads: "1" });
  const c = await db.connect();
  try {
    const coveredTo = Number((await c.runAndReadAll(`SELECT epoch_ms(${covered})::DOUBLE`)).getRowsJS()[0]?.[0] ?? 0);
    const found = (await c.runAndReadAll(sql)).getRowsJS() as unknown as Row[];
    const out: CandleData[] = [];
    for (const [start, open, high, low, close, vol, n, traded] of found) {
      const s = Number(start);
      for (let e = (out.at(-1)?.start ?? s - iv) + iv; e < s; e += iv) out.push(emptyCandle(q.symbol, e, tf, !coversAny(hours, e, iv)));
      out.push({
        symbol: q.symbol, start: s, open, high, low, close, volume: Math.round(Number(vol) * 1e8) / 1e8, trades: Number(n),
        empty: false, final: s + iv <= coveredTo, tf, source: traded ? "trades" : "ticker",
      });
    }
    return out;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Some hour partition of [start, start + iv) exists in the lake. */
function coversAny(hours: ReadonlySet<number>, start: number, iv: number): boolean {
  for (let h = Math.floor(start / HOUR_MS); h * HOUR_MS < start + iv; h++) if (hours.has(h)) return true;
  return false;
}

function emptyCandle(symbol: string, start: number, tf: string, down: boolean): CandleData {
  return { symbol, start, open: null, high: null, low: null, close: null, volume: 0, trades: 0, empty: true, final: true, tf, ...(down ? { down: true } : {}) };
}
