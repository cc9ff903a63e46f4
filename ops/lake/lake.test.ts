import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cp, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATASET } from "../../lib/lake/datasets.ts";
import { listFiles } from "../../lib/lake/fsutil.ts";
import { fakeDelivery, HOUR, localArchiver, makeBook, makeTick, T0 } from "../../actors/archiver/testing.ts";
import { compactDay } from "./compact.ts";
import { openLake } from "./lake.ts";
import { lakeCommand } from "./mod.ts";
import { queryLake } from "./query.ts";

const DAY = 24 * HOUR;
const ALL_ROWS = "SELECT * EXCLUDE (ts, recv_ts), epoch_ms(ts)::DOUBLE AS ts FROM ticks ORDER BY symbol, venue_seq";

async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await lakeCommand(argv, { out: (t) => (out += t + "\n"), err: (t) => (err += t + "\n"), env });
  return { code, out, err };
}

/** A lake with several small files per hour partition on 2025-11-22 and one partition on 2025-11-23. */
async function buildLake(dir: string): Promise<string> {
  const a = await localArchiver(dir);
  let seq = 0;
  const vs = new Map<string, number>();
  for (let round = 0; round < 4; round++) {
    const batch = [];
    for (const symbol of ["BTC-USD", "ETH-USD"]) {
      for (const ts of [T0 + round * 1000, T0 + HOUR + round * 1000, T0 + DAY + round * 1000]) {
        const ticks = Array.from({ length: 25 }, (_, i) => {
          const v = (vs.get(symbol) ?? 0) + 1;
          vs.set(symbol, v);
          return makeTick(symbol, v, ts + i);
        });
        batch.push(fakeDelivery(++seq, { v: 1, ticks }));
      }
    }
    await a.archiver.ingest(DATASET.ticks, batch);
    await a.archiver.ingest(DATASET.book, [fakeDelivery(++seq, makeBook("BTC-USDT", T0 + round * 10, round), "md.book.binance.BTC-USDT")]);
    await a.archiver.flushAll(); // one file per partition per round
  }
  await a.archiver.uploader.drain(5000);
  await a.close();
  return a.lake;
}

describe("ops lake query and compact over a local lake", () => {
  let dir: string;
  let lake: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-lake-"));
    lake = await buildLake(dir);
    env = { ARCHIVE_URL: lake, ARCHIVE_CACHE_DIR: join(dir, "cache") };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ops lake query prints a table, or JSON with --json", async () => {
    const t = await run(["query", "SELECT symbol, count(*) AS n FROM ticks GROUP BY symbol ORDER BY symbol"], env);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/symbol\s+n\n-+\s+-+\nBTC-USD\s+300\nETH-USD\s+300\n\(2 rows\)/);
    const j = await run(["query", "SELECT symbol, count(*) AS n, min(hour) AS h FROM ticks GROUP BY symbol ORDER BY symbol", "--json"], env);
    expect(JSON.parse(j.out)).toEqual([{ symbol: "BTC-USD", n: 300, h: 6 }, { symbol: "ETH-USD", n: 300, h: 6 }]);
    const b = await run(["query", "SELECT count(*) AS n FROM book WHERE level = 0", "--json"], env);
    expect(JSON.parse(b.out)).toEqual([{ n: 8 }]);
  });

  it("ops lake query answers 0 rows on an empty lake and exit code 1 for bad SQL", async () => {
    const empty = await run(["query", "SELECT count(*) AS n, count(DISTINCT symbol) AS s FROM bookdelta", "--json"], { ...env, ARCHIVE_URL: join(dir, "nothing") });
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.out)).toEqual([{ n: 0, s: 0 }]); // an empty dataset has the files' columns too (symbol, market)
    const bad = await run(["query", "SELEC nonsense"], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/syntax error/i);
  });

  it("ops lake rejects bad usage with exit code 2 and a message", async () => {
    expect((await run([], env)).code).toBe(2);
    expect((await run(["compact"], env)).err).toMatch(/--date/);
    expect((await run(["compact", "--date", "2025-13-40"], env)).err).toMatch(/YYYY-MM-DD/);
    expect((await run(["frobnicate"], env)).code).toBe(2);
    expect((await run(["query", "SELECT 1"], { ...env, ARCHIVE_URL: "ftp://x/y" })).code).toBe(2);
    expect((await run(["--help"], env)).out).toMatch(/tickflow lake <command>/);
  });

  it("a failed compaction leaves the originals intact", async () => {
    const before = await listFiles(lake);
    const rows = (await queryLake(openLake(env), ALL_ROWS)).rows;
    // The merged file is damaged before verification: nothing may change.
    const r = await compactDay(openLake(env), { date: "2025-11-22", afterWrite: (tmp) => truncate(tmp, 100) });
    expect(r.failed.length).toBeGreaterThan(0);
    expect(r.filesOut).toBe(0);
    expect(await listFiles(lake)).toEqual(before);
    // An unreadable original also stops that partition's compaction.
    const corrupt = "ticks/date=2025-11-22/hour=6/exchange=sim/999-999.parquet";
    await writeFile(join(lake, corrupt), "not parquet");
    const cmd = await run(["compact", "--date", "2025-11-22", "--dataset", "ticks"], env);
    expect(cmd.code).toBe(1);
    expect(cmd.err).toContain("hour=6");
    await rm(join(lake, corrupt));
    const after = await listFiles(lake);
    expect(after.filter((f) => f.path.includes("ticks/date=2025-11-22/hour=6/"))).toEqual(
      before.filter((f) => f.path.includes("ticks/date=2025-11-22/hour=6/")),
    );
    // Other partitions were compacted; every row is still there exactly once.
    expect((await queryLake(openLake(env), ALL_ROWS)).rows).toEqual(rows);
  });

  it("compaction keeps every row and leaves one file sorted by symbol and time per hour partition of that day", async () => {
    const rows = (await queryLake(openLake(env), ALL_ROWS)).rows;
    const otherDay = (await listFiles(lake)).filter((f) => f.path.includes("/date=2025-11-23/"));
    const r = await run(["compact", "--date", "2025-11-22"], env);
    expect(r.code).toBe(0);
    const files = (await listFiles(lake)).filter((f) => f.path.endsWith(".parquet") && !f.path.startsWith("_"));
    const day22 = files.filter((f) => f.path.includes("/date=2025-11-22/"));
    // ticks: 2 hours (both symbols in each file); book: 1 hour
    expect(day22.length).toBe(3);
    for (const f of day22) expect(f.path).toMatch(/\/\d+-\d+\.c[0-9a-f]{8}\.parquet$/);
    expect(files.filter((f) => f.path.includes("/date=2025-11-23/"))).toEqual(otherDay);
    expect((await queryLake(openLake(env), ALL_ROWS)).rows).toEqual(rows);
    const [sorted] = (await queryLake(openLake(env), `SELECT count(*) FROM (SELECT ts, lag(ts) OVER (PARTITION BY filename, symbol ORDER BY file_row_number) AS p, symbol < lag(symbol) OVER (PARTITION BY filename ORDER BY file_row_number) AS back FROM read_parquet('${lake}/ticks/**/*.parquet', filename = true, file_row_number = true, hive_partitioning = false)) WHERE p > ts OR back`)).rows;
    expect(sorted).toEqual([0n]);
  });

  it("originals left behind by a compaction interrupted before deleting them are removed by the next one", async () => {
    const rows = (await queryLake(openLake(env), ALL_ROWS)).rows;
    // Simulate the crash window: compact day 23, then put its originals back.
    const saved = join(dir, "saved");
    await cp(join(lake, "ticks"), saved, { recursive: true });
    expect((await run(["compact", "--date", "2025-11-23"], env)).code).toBe(0);
    await cp(saved, join(lake, "ticks"), { recursive: true });
    const dup = (await queryLake(openLake(env), "SELECT count(*) AS n FROM ticks")).rows[0]![0];
    expect(Number(dup)).toBeGreaterThan(rows.length);
    const r = await compactDay(openLake(env), { date: "2025-11-23" });
    expect(r.leftovers).toBe(4);
    expect((await queryLake(openLake(env), ALL_ROWS)).rows).toEqual(rows);
  });
});
