import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATASET } from "../../lib/lake/datasets.ts";
import { fakeDelivery, HOUR, localArchiver, makeGap, makeTick, makeTrades, T0 } from "../../actors/archiver/testing.ts";
import { lakeRetention } from "./export.ts";
import { openLake } from "./lake.ts";
import { lakeCommand } from "./mod.ts";
import { queryLake, scopedKeys } from "./query.ts";

const DAY = 24 * HOUR;

async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await lakeCommand(argv, { out: (t) => (out += t + "\n"), err: (t) => (err += t + "\n"), env });
  return { code, out, err };
}

/**
 * BTC-USD ticks every second over 06:00–06:10 on 2025-11-22 except a 3-minute silence
 * at 06:04–06:07, and a reported gap at 06:02; ETH-USD every second, no holes, plus
 * ticks on 2025-11-23 and trades.
 */
async function buildLake(dir: string): Promise<string> {
  const a = await localArchiver(dir);
  let seq = 0;
  const batch = [];
  for (let s = 0; s < 600; s++) {
    const t = T0 + s * 1000;
    if (s < 240 || s >= 420) batch.push(fakeDelivery(++seq, { v: 1, ticks: [makeTick("BTC-USD", s + 1, t)] }));
    batch.push(fakeDelivery(++seq, { v: 1, ticks: [makeTick("ETH-USD", s + 1, t)] }));
  }
  batch.push(fakeDelivery(++seq, { v: 1, ticks: [makeTick("BTC-USD", 9999, T0 + DAY)] }));
  await a.archiver.ingest(DATASET.ticks, batch);
  await a.archiver.ingest(DATASET.gaps, [fakeDelivery(++seq, makeGap("BTC-USD", T0 + 120_000, 121, 131))]);
  await a.archiver.ingest(DATASET.trades, [fakeDelivery(++seq, makeTrades("BTC-USD", T0, 5))]);
  await a.archiver.flushAll();
  await a.archiver.ingest(DATASET.trades, [fakeDelivery(++seq, makeTrades("BTC-USD", T0 + 5000, 5, "sim", 5))]);
  await a.archiver.flushAll();
  await a.archiver.uploader.drain(5000);
  await a.close();
  return a.lake;
}

describe("lake stats, coverage, export, retention and scoped queries", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-lake-tools-"));
    env = { ARCHIVE_URL: await buildLake(dir), ARCHIVE_CACHE_DIR: join(dir, "cache") };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lake stats shows files, rows and bytes per partition", async () => {
    const r = await run(["stats", "--json"], env);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
    const of = (ds: string, date: string) => rows.find((x) => x.dataset === ds && x.date === date);
    expect(of("ticks", "2025-11-22")).toMatchObject({ hour: 6, exchange: "sim", files: 1, rows: 420 + 600 });
    expect(of("ticks", "2025-11-23")).toMatchObject({ files: 1, rows: 1 });
    expect(of("trades", "2025-11-22")).toMatchObject({ files: 2, rows: 10 });
    expect(of("gaps", "2025-11-22")).toMatchObject({ files: 1, rows: 1 });
    for (const x of rows) expect(x.bytes).toBeGreaterThan(0);
  });

  it("lake coverage reports a silence and a reported sequence gap as holes, and none for a complete symbol", async () => {
    const r = await run(["coverage", "--from", "2025-11-22T06:00Z", "--to", "2025-11-22T07:00Z", "--json"], env);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
    const btc = rows.filter((x) => x.symbol === "BTC-USD");
    expect(btc.map((x) => x.why)).toEqual(["venue seq 121 → 131 (10 missing)", "no ticks for 181 s"]);
    expect(btc[1]).toMatchObject({ hole_from: "2025-11-22T06:03:59.000Z", hole_to: "2025-11-22T06:07:00.000Z", ticks: 420 });
    const eth = rows.filter((x) => x.symbol === "ETH-USD");
    expect(eth).toEqual([expect.objectContaining({ ticks: 600, hole_from: null, why: null })]);
    // A longer --max-silence tolerates the silence; --symbol narrows the report.
    const lax = JSON.parse((await run(["coverage", "--from", "2025-11-22", "--to", "2025-11-23", "--symbol", "BTC-USD", "--max-silence", "5m", "--json"], env)).out);
    expect(lax.map((x: Record<string, unknown>) => x.why)).toEqual(["venue seq 121 → 131 (10 missing)"]);
    expect((await run(["coverage", "--from", "2025-11-22"], env)).code).toBe(2);
  });

  it("a query scoped by --from/--to reads only the files of those days", async () => {
    const lake = openLake(env);
    const keys = await scopedKeys(lake, { from: new Date("2025-11-23T00:00Z"), to: new Date("2025-11-23T12:00Z") });
    expect(keys!.get("ticks")).toEqual([expect.stringMatching(/^ticks\/date=2025-11-23\/hour=6\/exchange=sim\/\d+-\d+\.parquet$/)]);
    expect(keys!.get("trades")).toEqual([]);
    const r = await run(["query", "SELECT count(*) AS n FROM ticks", "--from", "2025-11-23", "--to", "2025-11-23", "--json"], env);
    expect(JSON.parse(r.out)).toEqual([{ n: 1 }]);
    expect((await queryLake(lake, "SELECT count(*) FROM ticks")).rows).toEqual([[1021n]]);
    expect(JSON.parse((await run(["query", "SELECT count(*) AS n FROM ticks", "--exchange", "nope", "--json"], env)).out)).toEqual([{ n: 0 }]);
  });

  it("lake export writes csv, ndjson and parquet with the query's rows", async () => {
    const sql = "SELECT trade_id, price, side FROM trades ORDER BY trade_id";
    for (const format of ["csv", "ndjson", "parquet"] as const) {
      const out = join(dir, `trades.${format}`);
      const r = await run(["export", sql, "--format", format, "--out", out], env);
      expect(r.code, r.err).toBe(0);
      if (format === "csv") {
        const lines = (await readFile(out, "utf8")).trim().split("\n");
        expect(lines[0]).toBe("trade_id,price,side");
        expect(lines.length).toBe(11);
      } else if (format === "ndjson") {
        const rows = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
        expect(rows[0]).toEqual({ trade_id: "BTC-USD-0", price: 100, side: "buy" });
        expect(rows.length).toBe(10);
      } else {
        const back = await queryLake(openLake(env), `SELECT count(*) FROM read_parquet('${out}')`);
        expect(back.rows).toEqual([[10n]]);
      }
    }
    expect((await run(["export", sql, "--format", "xml"], env)).code).toBe(2);
  });

  it("lake retention deletes whole days older than the limit and keeps the rest", async () => {
    const lake = openLake(env);
    const r = await lakeRetention(lake, 1, new Date("2025-11-24T03:00Z"));
    expect(r.days).toEqual(["2025-11-22"]);
    expect((await queryLake(lake, "SELECT count(*) FROM ticks")).rows).toEqual([[1n]]);
    expect((await queryLake(lake, "SELECT count(*) FROM trades")).rows).toEqual([[0n]]);
    expect((await run(["retention"], env)).code).toBe(2); // no --days and ARCHIVE_RETENTION_DAYS=0
  });
});
