import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Metrics } from "../../lib/platform/metrics.ts";
import { DATASET } from "../../lib/lake/datasets.ts";
import { listFiles } from "../../lib/lake/fsutil.ts";
import { fakeDelivery, FaultyTarget, HOUR, localArchiver, makeTick, queryLocalLake, T0 } from "./testing.ts";

const batch = (symbol: string, from: number, n: number, ts = T0 + 1000) => ({
  v: 1,
  ticks: Array.from({ length: n }, (_, i) => makeTick(symbol, from + i, ts + i)),
});
const parquetFiles = async (lake: string) => (await listFiles(join(lake, "ticks"))).filter((f) => f.path.endsWith(".parquet")).map((f) => f.path);

describe("Archiver logic (no NATS, local lake)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-core-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a message is acked only after the file holding its rows is in the lake", async () => {
    const a = await localArchiver(dir);
    const ds = [fakeDelivery(1, batch("BTC-USD", 1, 10)), fakeDelivery(2, batch("BTC-USD", 11, 10))];
    await a.archiver.ingest(DATASET.ticks, ds);
    expect(ds.map((d) => d.acks)).toEqual([0, 0]);
    expect(await parquetFiles(a.lake)).toEqual([]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    expect(ds.map((d) => d.acks)).toEqual([1, 1]);
    expect(await parquetFiles(a.lake)).toEqual(["date=2025-11-22/hour=6/exchange=sim/1-2.parquet"]);
    await a.close();
  });

  it("a redelivered message already in a durable file is acked without being written again", async () => {
    const a = await localArchiver(dir);
    await a.archiver.ingest(DATASET.ticks, [fakeDelivery(7, batch("ETH-USD", 1, 5)), fakeDelivery(9, batch("ETH-USD", 6, 5))]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    await a.close();
    // A fresh archiver (as after a crash before the ack) gets message 7 again.
    const metrics = new Metrics();
    const b = await localArchiver(dir, { metrics });
    const again = fakeDelivery(7, batch("ETH-USD", 1, 5), "md.tick.sim.ETH-USD", 2);
    await b.archiver.ingest(DATASET.ticks, [again]);
    expect(again.acks).toBe(1);
    await b.archiver.flushAll();
    await b.archiver.uploader.drain(5000);
    expect((await parquetFiles(b.lake)).length).toBe(1);
    expect(await queryLocalLake(b.lake, "SELECT count(*)::INTEGER AS n FROM ticks")).toEqual([{ n: 10 }]);
    expect(metrics.counter("archiver_redelivered_duplicates_total", "").get({ dataset: "ticks" })).toBe(1);
    await b.close();
  });

  it("a first delivery of a seq at or below one already seen (consumer state gone back after a server crash) is checked, not written again", async () => {
    const metrics = new Metrics();
    const a = await localArchiver(dir, { metrics });
    await a.archiver.ingest(DATASET.ticks, [fakeDelivery(7, batch("ETH-USD", 1, 5)), fakeDelivery(9, batch("ETH-USD", 6, 5))]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    // The restarted nats-server delivers 9 again with a delivery count of 1.
    const again = fakeDelivery(9, batch("ETH-USD", 6, 5));
    await a.archiver.ingest(DATASET.ticks, [again]);
    expect(again.acks).toBe(1);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    expect(await queryLocalLake(a.lake, "SELECT count(*)::INTEGER AS n FROM ticks")).toEqual([{ n: 10 }]);
    expect(metrics.counter("archiver_redelivered_duplicates_total", "").get({ dataset: "ticks" })).toBe(1);
    // A genuinely new message after it is still written.
    const next = fakeDelivery(12, batch("ETH-USD", 11, 2));
    await a.archiver.ingest(DATASET.ticks, [next]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    expect(next.acks).toBe(1);
    expect(await queryLocalLake(a.lake, "SELECT count(*)::INTEGER AS n FROM ticks")).toEqual([{ n: 12 }]);
    await a.close();
  });

  it("a redelivered message whose seq lies inside a file's range but not in the file is still written", async () => {
    const a = await localArchiver(dir);
    await a.archiver.ingest(DATASET.ticks, [fakeDelivery(10, batch("SOL-USD", 1, 3)), fakeDelivery(20, batch("SOL-USD", 4, 3))]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    // File 10-20 exists; message 15 of the same partition was never in it (e.g. held by another archiver that died).
    const late = fakeDelivery(15, batch("SOL-USD", 7, 3), "md.tick.sim.SOL-USD", 3);
    await a.archiver.ingest(DATASET.ticks, [late]);
    expect(late.acks).toBe(0);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    expect(late.acks).toBe(1);
    expect(await queryLocalLake(a.lake, "SELECT count(*)::INTEGER AS n, count(DISTINCT _seq)::INTEGER AS m FROM ticks")).toEqual([{ n: 9, m: 3 }]);
    await a.close();
  });

  it("a redelivery of a message still buffered is acked with it and written once", async () => {
    const a = await localArchiver(dir);
    const first = fakeDelivery(3, batch("BTC-USD", 1, 4));
    const second = fakeDelivery(3, batch("BTC-USD", 1, 4), "md.tick.sim.BTC-USD", 2);
    await a.archiver.ingest(DATASET.ticks, [first]);
    await a.archiver.ingest(DATASET.ticks, [second]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    expect([first.acks, second.acks]).toEqual([1, 1]);
    expect(await queryLocalLake(a.lake, "SELECT count(*)::INTEGER AS n FROM ticks")).toEqual([{ n: 4 }]);
    await a.close();
  });

  it("a tick batch spanning two hours is acked only when both partition files are durable", async () => {
    let target: FaultyTarget | undefined;
    const a = await localArchiver(dir, { target: (lake) => (target = new FaultyTarget(lake)) });
    target!.gate((key) => key.includes("/hour=7/"));
    const msg = { v: 1, ticks: [makeTick("BTC-USD", 1, T0 + HOUR - 1), makeTick("BTC-USD", 2, T0 + HOUR + 1)] };
    const d = fakeDelivery(42, msg);
    await a.archiver.ingest(DATASET.ticks, [d]);
    await a.archiver.flushAll();
    for (let i = 0; i < 50 && target!.puts < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(target!.puts).toBe(1); // the hour=6 file is in the lake...
    expect(d.acks).toBe(0); // ...but the hour=7 one is not yet
    target!.release();
    await a.archiver.uploader.drain(5000);
    expect(d.acks).toBe(1);
    expect((await parquetFiles(a.lake)).sort()).toEqual([
      "date=2025-11-22/hour=6/exchange=sim/42-42.parquet",
      "date=2025-11-22/hour=7/exchange=sim/42-42.parquet",
    ]);
    await a.close();
  });

  it("staged files left by a run that could not upload are uploaded by the next run, and their redelivered messages acked once", async () => {
    const a = await localArchiver(dir, { target: (lake) => Object.assign(new FaultyTarget(lake), { down: true }) });
    const d1 = fakeDelivery(5, batch("ADA-USD", 1, 6));
    await a.archiver.ingest(DATASET.ticks, [d1]);
    await a.archiver.flushAll();
    await a.close(); // gives up after its drain time: the file stays staged, nothing acked
    expect(d1.acks).toBe(0);
    expect((await readdir(join(dir, "lake"))).sort()).toEqual(["_staging"]);
    const b = await localArchiver(dir);
    const again = fakeDelivery(5, batch("ADA-USD", 1, 6), "md.tick.sim.ADA-USD", 2);
    await b.archiver.ingest(DATASET.ticks, [again]);
    await b.archiver.uploader.drain(5000);
    expect(again.acks).toBe(1);
    expect(await queryLocalLake(b.lake, "SELECT count(*)::INTEGER AS n FROM ticks")).toEqual([{ n: 6 }]);
    await b.close();
  });

  it("malformed messages are termed and counted, and valid ones in the same batch are archived", async () => {
    const metrics = new Metrics();
    const a = await localArchiver(dir, { metrics });
    const bad = fakeDelivery(1, new TextEncoder().encode("nope"));
    const empty = fakeDelivery(2, { v: 1, ticks: [] });
    const good = fakeDelivery(3, batch("BTC-USD", 1, 2));
    await a.archiver.ingest(DATASET.ticks, [bad, empty, good]);
    await a.archiver.flushAll();
    await a.archiver.uploader.drain(5000);
    expect([bad.terms, empty.terms, good.terms, good.acks]).toEqual([1, 1, 0, 1]);
    expect(metrics.counter("archiver_malformed_messages_total", "").get({ dataset: "ticks" })).toBe(2);
    await a.close();
  });
});
