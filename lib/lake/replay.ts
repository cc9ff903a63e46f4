/**
 * Replay from the lake: the ticks of a time range read back with DuckDB and coalesced
 * the way the live coalescer does it (the latest tick per symbol per interval), as
 * windows of `ticker.<SYMBOL>` payloads. `tickflow replay` publishes them paced to a
 * replay room namespace; the edge's `GET /replay` streams them as NDJSON. Both encode
 * them with lib/contracts/rooms.ts, the live wire format.
 *
 * Only the hour partitions the range touches are opened (`ticks/date=D/hour=H/`), rows
 * come out of DuckDB in chunks (a long range is never held whole), and the symbol filter
 * is a `WHERE` that Parquet's row-group statistics can prune (files are sorted by symbol).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { TickerData } from "../contracts/protocol.ts";
import { encodeRoomUpdate } from "../contracts/rooms.ts";
import { sqlString } from "./duck.ts";
import { HIVE_TYPES, hourIndex, hourPath } from "./partition.ts";
import { checkReplayQuery, type ReplayQuery } from "./replay-query.ts";

export * from "./replay-query.ts";

/** One coalescing window: the latest ticker of every symbol that ticked in it, sorted by symbol. */
export interface ReplayWindow {
  /** Lake time (exchange ms) at the end of the window. */
  end: number;
  tickers: TickerData[];
}

/** The tick files of the hours [from, to) touches, under a local lake root. Missing hours are skipped. */
export async function replayFiles(root: string, q: ReplayQuery): Promise<string[]> {
  const out: string[] = [];
  for (let h = hourIndex(q.from.getTime()); h <= hourIndex(q.to.getTime() - 1); h++) {
    const dir = join(root, "ticks", hourPath(h));
    const venues = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const v of venues) {
      if (!v.isDirectory() || !v.name.startsWith("exchange=")) continue;
      const files = await readdir(join(dir, v.name)).catch(() => [] as string[]);
      for (const f of files.sort()) if (f.endsWith(".parquet")) out.push(join(dir, v.name, f));
    }
  }
  return out;
}

/** Percent change from open24h, rounded to 4 decimals: the coalescer's rule (actors/coalescer/ticker.ts). */
function change24hPct(price: number, open24h: number | undefined): number | undefined {
  if (open24h === undefined || !(open24h > 0)) return undefined;
  return Math.round(((price - open24h) / open24h) * 100 * 1e4) / 1e4;
}

type Row = [string, string, number, number, number | null, number | null, number | null, number | null, number | null, number | null];

/** A lake row → the `ticker.<SYMBOL>` payload the coalescer would have published for it. */
function tickerOf(r: Row): TickerData {
  const [symbol, venue, exchTs, price, bid, ask, open, high, low, volume] = r;
  const d: TickerData = { symbol, venue, price, exchTs };
  if (bid !== null) d.bid = bid;
  if (ask !== null) d.ask = ask;
  if (open !== null) d.open24h = open;
  if (high !== null) d.high24h = high;
  if (low !== null) d.low24h = low;
  if (volume !== null) d.volume24h = volume;
  const ch = change24hPct(price, open ?? undefined);
  if (ch !== undefined) d.change24hPct = ch;
  if (venue === "coingecko") d.degraded = true;
  return d;
}

function sortedTickers(latest: Map<string, TickerData>): TickerData[] {
  return [...latest.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/**
 * The replay of `q` over the lake at `root` (a local directory: the lake or its S3
 * mirror), in windows of `windowMs` of lake time; windows without ticks are left out.
 * Ticks come in exchange-time order (then stream order), so the latest of a window is
 * the one the live coalescer would have kept. Throws a RangeError for a bad query.
 */
export async function* replayWindows(root: string, q: ReplayQuery, windowMs = 100): AsyncGenerator<ReplayWindow> {
  checkReplayQuery(q);
  if (!(windowMs >= 1)) throw new RangeError(`replay window must be ≥ 1 ms, got ${windowMs}`);
  const files = await replayFiles(root, q);
  if (files.length === 0) return;
  const from = q.from.getTime();
  const symbols = q.symbols?.length ? ` AND symbol IN (${q.symbols.map(sqlString).join(", ")})` : "";
  const db = await DuckDBInstance.create(":memory:", { memory_limit: "256MB", threads: "1" });
  const c = await db.connect();
  try {
    const result = await c.stream(
      `SELECT symbol, exchange, epoch_ms(ts)::DOUBLE, price, bid, ask, open_24h, high_24h, low_24h, volume_24h ` +
        `FROM read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, hive_types = ${HIVE_TYPES}, union_by_name = true) ` +
        `WHERE ts >= epoch_ms(${from}::BIGINT) AND ts < epoch_ms(${q.to.getTime()}::BIGINT)${symbols} ORDER BY ts, _seq`,
    );
    let latest = new Map<string, TickerData>();
    let k = -1;
    for await (const rows of result.yieldRowsJs()) {
      for (const row of rows as unknown as Row[]) {
        const w = Math.floor((row[2] - from) / windowMs);
        if (w !== k) {
          if (latest.size > 0) yield { end: from + (k + 1) * windowMs, tickers: sortedTickers(latest) };
          latest = new Map();
          k = w;
        }
        latest.set(row[0], tickerOf(row));
      }
    }
    if (latest.size > 0) yield { end: from + (k + 1) * windowMs, tickers: sortedTickers(latest) };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * NDJSON lines of a replay (`GET /replay`): one `ticker.all` room update per window, in
 * the live wire format, `seq` counting from 1 and `ts` the window's end in lake time.
 */
export async function* replayNdjson(root: string, q: ReplayQuery, windowMs = 100): AsyncGenerator<string> {
  let seq = 0;
  for await (const w of replayWindows(root, q, windowMs)) {
    yield encodeRoomUpdate("ticker.all", ++seq, w.end, { tickers: w.tickers }) + "\n";
  }
}
