/**
 * Where should the archiver parse JSON? (`npx tsx bench/archive-parse.ts`)
 *
 * The same realistic tick messages (1–5 ticks each, 500 symbols) parsed three ways into
 * a DuckDB table, single-threaded, wall time from raw bytes to rows in DuckDB:
 *   js-appender: JSON.parse + fast validation (datasets.ts) → float64 columns → appender
 *   duckdb-ndjson-file: raw bytes framed as `{"s":<seq>,"m":<raw>}` lines → temp file → read_ndjson + unnest
 *   duckdb-json-inmem: same lines as one VARCHAR parameter → json_transform + unnest
 * The winner is what archiver/README.md reports.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, VARCHAR } from "@duckdb/node-api";
import { encode } from "../lib/contracts/codec.ts";
import { CollectingSink } from "../actors/archiver/collecting-sink.ts";
import { ticks } from "../lib/lake/datasets.ts";
import { makeTick, T0 } from "../actors/archiver/testing.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const bodies: Uint8Array[] = [];
let rows = 0;
for (let m = 0; m < MESSAGES; m++) {
  const n = 1 + (m % 5);
  const sym = `S${m % 500}-USD`;
  bodies.push(encode({ v: 1, ticks: Array.from({ length: n }, (_, i) => makeTick(sym, m * 5 + i, T0 + m)) }));
  rows += n;
}
const work = await mkdtemp(join(tmpdir(), "tf-parse-"));
const db = await DuckDBInstance.create(":memory:", { threads: "1" });
const c = await db.connect();
const cols = ticks.columns.map((x) => `${x} DOUBLE`).join(", ");
const out: Record<string, number> = {};

async function timed(name: string, fn: () => Promise<void>): Promise<void> {
  await c.run(`CREATE OR REPLACE TABLE t (${cols})`);
  const t = performance.now();
  await fn();
  const s = (performance.now() - t) / 1000;
  const n = Number((await c.runAndReadAll("SELECT count(*) FROM t")).getRowsJS()[0]![0]);
  if (n !== rows) throw new Error(`${name}: ${n} rows, expected ${rows}`);
  out[name] = Math.round(rows / s);
  console.log(`${name}: ${rows} rows in ${s.toFixed(2)} s = ${out[name]!.toLocaleString("en-US")} rows/s`);
}

await timed("js-appender", async () => {
  const sink = new CollectingSink(ticks.columns.length, 0);
  const t0 = performance.now();
  for (let i = 0; i < bodies.length; i++) {
    const r = ticks.decode(bodies[i]!);
    if (!r.ok) throw new Error(r.error);
    for (const p of r.parts) p.write(sink);
  }
  const colsOut = sink.take();
  console.log(`  (parse + validate + columns: ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
  const app = await c.createAppender("t");
  const { DuckDBDataChunk, DOUBLE } = await import("@duckdb/node-api");
  const chunk = DuckDBDataChunk.create(ticks.columns.map(() => DOUBLE), 2048);
  for (let off = 0; off < sink.n; off += 2048) {
    const k = Math.min(2048, sink.n - off);
    chunk.rowCount = k;
    for (let ci = 0; ci < colsOut.length; ci++) {
      const v = chunk.getColumnVector(ci);
      const src = colsOut[ci]!;
      for (let i = 0; i < k; i++) v.setItem(i, src[off + i]!);
      v.flush();
    }
    app.appendDataChunk(chunk);
  }
  app.flushSync();
  app.closeSync();
});

const TICK_TYPE = "STRUCT(venue VARCHAR, symbol VARCHAR, price DOUBLE, bid DOUBLE, ask DOUBLE, bidSize DOUBLE, askSize DOUBLE, open24h DOUBLE, high24h DOUBLE, low24h DOUBLE, volume24h DOUBLE, lastSize DOUBLE, exchTs BIGINT, recvTs BIGINT, seq BIGINT)";
const TICK_STRUCT = `STRUCT(v INTEGER, ticks ${TICK_TYPE}[])`;
const TICK_JSON = `{"v": "INTEGER", "ticks": [{"venue": "VARCHAR", "symbol": "VARCHAR", "price": "DOUBLE", "bid": "DOUBLE", "ask": "DOUBLE", "bidSize": "DOUBLE", "askSize": "DOUBLE", "open24h": "DOUBLE", "high24h": "DOUBLE", "low24h": "DOUBLE", "volume24h": "DOUBLE", "lastSize": "DOUBLE", "exchTs": "BIGINT", "recvTs": "BIGINT", "seq": "BIGINT"}]}`;
const SELECT = `SELECT t.exchTs, t.recvTs, t.price, t.bid, t.ask, t.bidSize, t.askSize, t.open24h, t.high24h, t.low24h, t.volume24h, t.lastSize, t.seq, s, 0 FROM (SELECT s, unnest(m.ticks) AS t FROM src)`;

function framed(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < bodies.length; i++) {
    parts.push(Buffer.from(`{"s":${i + 1},"m":`), Buffer.from(bodies[i]!), Buffer.from("}\n"));
  }
  return Buffer.concat(parts);
}

await timed("duckdb-ndjson-file", async () => {
  const f = join(work, "batch.ndjson");
  await writeFile(f, framed());
  await c.run(
    `INSERT INTO t WITH src AS (SELECT * FROM read_ndjson('${f}', columns = {"s": "BIGINT", "m": '${TICK_STRUCT.replaceAll("'", "''")}'})) ${SELECT}`,
  );
});

await timed("duckdb-json-inmem", async () => {
  const text = framed().toString("utf8");
  const p = await c.prepare(
    `INSERT INTO t WITH src AS (SELECT (j->>'s')::BIGINT AS s, json_transform(j->'m', '${TICK_JSON}') AS m FROM (SELECT unnest(string_split(rtrim($1, chr(10)), chr(10)))::JSON AS j)) ${SELECT}`,
  );
  p.bind([text], [VARCHAR]);
  await p.run();
});

c.closeSync();
db.closeSync();
await rm(work, { recursive: true, force: true });
console.log(`RESULT ${JSON.stringify({ name: "archive-parse", figures: out })}`);
