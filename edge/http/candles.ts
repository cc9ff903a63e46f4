/**
 * `GET /candles?symbol=BTC-USD[&tf=1m][&limit=1440][&before=T]`: a symbol's candles of
 * one timeframe aggregated from the local lake (EDGE_LAKE_DIR) by DuckDB
 * (lib/lake/candles.ts), oldest first, as `{"symbol","tf","candles":[CandleData…]}`.
 * The chart asks here on open and when paging back, for what ROOMLOG (the `history`
 * op) does not hold; the dashboard merges both by candle start (ui/src/core/candles.ts).
 *
 * tf 1m|5m|15m|1h|1d (default 1m); limit 1..1500 (default 1440); before: epoch ms or
 * ISO time, only candles starting before it (default: up to the forming period).
 * A bad query answers 400 with the reason; more than MAX_QUERIES at once answer 429
 * (each holds a DuckDB scan). A failure after the 200 (DuckDB) cuts the connection,
 * the only signal left once the status is sent; the dashboard asks again later.
 */
import { lakeCandleRange, type LakeCandleQuery } from "../../lib/lake/candles-query.ts";
import type { HttpReply } from "../core/transport.ts";

/** Candle queries run at once by one edge process. */
export const MAX_QUERIES = 2;

const bad = (status: number, error: string): HttpReply => ({
  status,
  headers: [["Content-Type", "application/json"], ["Cache-Control", "no-store"]],
  body: JSON.stringify({ error }) + "\n",
});

function queryOf(p: URLSearchParams): LakeCandleQuery {
  const q: LakeCandleQuery = { symbol: p.get("symbol") ?? "" };
  const tf = p.get("tf");
  if (tf) q.tf = tf as LakeCandleQuery["tf"];
  const limit = p.get("limit");
  if (limit) {
    if (!/^\d+$/.test(limit)) throw new RangeError(`candles: limit must be an integer, got ${JSON.stringify(limit)}`);
    q.limit = Number(limit);
  }
  const before = p.get("before");
  if (before) {
    const t = /^\d+$/.test(before) ? Number(before) : Date.parse(before);
    if (Number.isNaN(t)) throw new RangeError(`candles: before must be an ISO time or epoch ms, got ${JSON.stringify(before)}`);
    q.before = t;
  }
  return q;
}

/** The `/candles` handler over the lake at `lakeDir`; `now` is the clock for the default `before`. */
export function candlesRoute(lakeDir: string, now: () => number = Date.now): (query: string, method: string) => HttpReply {
  let running = 0;
  return (query, method) => {
    let q: LakeCandleQuery;
    try {
      q = queryOf(new URLSearchParams(query));
      lakeCandleRange(q, now());
    } catch (e) {
      return bad(400, (e as Error).message);
    }
    const headers: Array<[string, string]> = [["Content-Type", "application/json"], ["Cache-Control", "no-store"]];
    if (method === "HEAD") return { status: 200, headers, body: "" };
    if (running >= MAX_QUERIES) return bad(429, `at most ${MAX_QUERIES} candle queries at once on this edge; try again shortly`);
    running++;
    let released = false;
    const release = () => {
      if (!released) { released = true; running--; }
    };
    const at = now();
    // DuckDB is loaded on the first query only: the edge's hot path never needs it.
    const gen = (async function* () {
      try {
        const { lakeCandles } = await import("../../lib/lake/candles.ts");
        const candles = await lakeCandles(lakeDir, q, at);
        yield JSON.stringify({ symbol: q.symbol, tf: q.tf ?? "1m", candles }) + "\n";
      } finally {
        release();
      }
    })();
    // A client gone before the first chunk: the generator's finally never runs, so free the slot here.
    const body: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => gen.next(),
        return: (v?: unknown) => { release(); return gen.return(v as undefined); },
      }),
    };
    return { status: 200, headers, body: "", stream: body };
  };
}
