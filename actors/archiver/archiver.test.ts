import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JetStreamClient, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { getLogger } from "@logtape/logtape";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { encode } from "../../lib/contracts/codec.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { archiverSettings } from "./config.ts";
import { ArchiverService } from "./service.ts";
import { HOUR, makeBook, makeDelta, makeGap, makeTrades, publishTicks, queryLocalLake, T0, waitForDrained } from "./testing.ts";

const DURABLES = ["arch-ticks", "arch-book", "arch-bookdelta"];

describe("archiver on a real nats-server, writing a local lake", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let dir: string;
  let svc: ArchiverService | undefined;
  const metrics = new Metrics();
  const fatal: unknown[] = [];

  const start = async (extra: Record<string, string> = {}) => {
    const config = loadConfig(archiverSettings, {
      ARCHIVE_URL: join(dir, "lake"),
      ARCHIVE_CACHE_DIR: join(dir, "cache"),
      ARCHIVE_FLUSH_INTERVAL: "300ms",
      ARCHIVE_FLUSH_ROWS: "2000",
      ARCHIVE_DURABLE: "arch",
      ARCHIVE_DUCKDB_THREADS: "1",
      ...extra,
    });
    svc = await ArchiverService.start({
      js,
      jsm,
      metrics,
      clock: systemClock,
      log: getLogger(["tickflow", "archiver", "test"]),
      config,
      flush: () => nc.flush(),
      onFatal: (e) => fatal.push(e),
    });
  };

  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    dir = await mkdtemp(join(tmpdir(), "tf-arch-"));
  });
  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
    await ns?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("archiver writes every published tick to Parquet once, with its content, in the right hour partitions", async () => {
    await start();
    const published = await publishTicks(js, { symbols: ["BTC-USD", "ETH-USD", "SOL-USD"], messages: 120, perMessage: 50 });
    await waitForDrained(jsm, DURABLES);
    const lake = join(dir, "lake");
    const [count] = await queryLocalLake(lake, "SELECT count(*)::INTEGER AS n, count(DISTINCT (symbol, venue_seq))::INTEGER AS d FROM ticks");
    expect(count).toEqual({ n: published.length, d: published.length });

    // Every row equals the tick published with that (symbol, venue seq).
    const rows = await queryLocalLake(
      lake,
      `SELECT exchange, market, symbol, strftime(date, '%Y-%m-%d') AS date, hour, epoch_ms(ts)::DOUBLE AS ts, epoch_ms(recv_ts)::DOUBLE AS recv_ts, price, bid, ask,
        bid_size, ask_size, volume_24h, last_size, venue_seq FROM ticks ORDER BY symbol, venue_seq`,
    );
    const bySym = new Map(published.map((t) => [`${t.symbol}/${t.seq}`, t]));
    for (const r of rows) {
      const t = bySym.get(`${r.symbol}/${r.venue_seq}`)!;
      expect(t).toBeDefined();
      const d = new Date(t.exchTs);
      expect(r).toMatchObject({
        exchange: "sim",
        market: "spot",
        date: d.toISOString().slice(0, 10),
        hour: d.getUTCHours(),
        ts: t.exchTs,
        recv_ts: t.recvTs,
        price: t.price,
        bid: t.bid,
        ask: t.ask,
        bid_size: t.bidSize,
        ask_size: t.askSize,
        volume_24h: t.volume24h ?? null,
        last_size: t.lastSize ?? null,
      });
    }
    // The data straddles 06:00, so both hour partitions exist for each symbol.
    const hours = await queryLocalLake(lake, "SELECT DISTINCT symbol, hour FROM ticks WHERE date = DATE '2025-11-22' AND hour < 7 ORDER BY ALL");
    expect(hours.map((h) => `${h.symbol}@${h.hour}`)).toEqual(["BTC-USD@5", "BTC-USD@6", "ETH-USD@5", "ETH-USD@6", "SOL-USD@5", "SOL-USD@6"]);
    // Files are named by their stream sequence range and sorted by symbol, then ts inside.
    const files = await readdir(join(lake, "ticks/date=2025-11-22/hour=6/exchange=sim"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/^\d+-\d+\.parquet$/);
    const unsorted = await queryLocalLake(lake, `SELECT count(*)::INTEGER AS n FROM (SELECT filename, ts, lag(ts) OVER (PARTITION BY filename, symbol ORDER BY file_row_number) AS prev, symbol < lag(symbol) OVER (PARTITION BY filename ORDER BY file_row_number) AS back FROM read_parquet('${lake}/ticks/**/*.parquet', filename = true, file_row_number = true)) WHERE prev > ts OR back`);
    expect(unsorted[0]!.n).toBe(0);
    expect(metrics.counter("archiver_rows_in_total", "").get({ dataset: "ticks" })).toBe(published.length);
    expect(fatal).toEqual([]);
  });

  it("archiver writes book snapshot levels and book deltas as separate datasets", async () => {
    const pubs: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      pubs.push(js.publish(subjects.book("binance", "BTC-USDT"), encode(makeBook("BTC-USDT", T0 + i * 1000, 1000 + i))));
      pubs.push(js.publish(subjects.bookDelta("binance", "BTC-USDT"), encode(makeDelta("BTC-USDT", T0 + HOUR + i, 5000 + i * 3))));
    }
    await Promise.all(pubs);
    await waitForDrained(jsm, DURABLES);
    const lake = join(dir, "lake");
    const [b] = await queryLocalLake(lake, "SELECT count(*)::INTEGER AS n, count(DISTINCT last_update_id)::INTEGER AS ids, min(level)::INTEGER AS lo, max(level)::INTEGER AS hi FROM book WHERE symbol = 'BTC-USDT'");
    expect(b).toEqual({ n: 40 * 10, ids: 40, lo: 0, hi: 4 });
    const sides = await queryLocalLake(lake, "SELECT side, count(*)::INTEGER AS n FROM book GROUP BY side ORDER BY side");
    expect(sides).toEqual([{ side: "ask", n: 200 }, { side: "bid", n: 200 }]);
    const [d] = await queryLocalLake(lake, "SELECT count(*)::INTEGER AS n, min(hour) AS h, sum(CASE WHEN side = 'bid' THEN 1 ELSE 0 END)::INTEGER AS bids FROM bookdelta");
    expect(d).toEqual({ n: 40 * 3, h: 7, bids: 80 });
  });

  it("trades from md.trade and gap events from md.gap are archived as the trades and gaps datasets, sorted by symbol", async () => {
    const pubs: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const sym = i % 2 ? "ETH-USD" : "BTC-USD";
      pubs.push(js.publish(subjects.trade("sim", sym), encode(makeTrades(sym, T0 + i * 100, 1 + (i % 3), "sim", i * 3))));
    }
    pubs.push(js.publish(subjects.gap("sim", "BTC-USD"), encode(makeGap("BTC-USD", T0 + 500, 10, 14))));
    await Promise.all(pubs);
    await waitForDrained(jsm, [...DURABLES, "arch-trades", "arch-gaps"]);
    const lake = join(dir, "lake");
    const [t] = await queryLocalLake(lake, "SELECT count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS ids, count(DISTINCT symbol)::INTEGER AS syms, min(market) AS m FROM trades");
    expect(t).toEqual({ n: 60, ids: 60, syms: 2, m: "spot" });
    const [one] = await queryLocalLake(lake, "SELECT side, price, size, epoch_ms(ts)::DOUBLE AS ts, exchange FROM trades WHERE trade_id = 'ETH-USD-3'");
    expect(one).toEqual({ side: "sell", price: 100 + 3 / 4, size: 0.5, ts: T0 + 100, exchange: "sim" });
    const gaps = await queryLocalLake(lake, "SELECT symbol, expected::INTEGER AS e, got::INTEGER AS g FROM gaps");
    expect(gaps).toEqual([{ symbol: "BTC-USD", e: 10, g: 14 }]);
    const back = await queryLocalLake(lake, `SELECT count(*)::INTEGER AS n FROM (SELECT symbol < lag(symbol) OVER (PARTITION BY filename ORDER BY file_row_number) AS back FROM read_parquet('${lake}/trades/**/*.parquet', filename = true, file_row_number = true)) WHERE back`);
    expect(back[0]!.n).toBe(0);
  });

  it("malformed messages are counted and termed without blocking the messages after them", async () => {
    const bad = [
      new TextEncoder().encode("{not json"),
      encode({ v: 1, ticks: [] }),
      encode({ v: 1, ticks: [{ venue: "sim", symbol: "BTC-USD", price: "high", exchTs: 1, recvTs: 1, seq: 1 }] }),
      encode({ v: 2, ticks: [] }),
      encode({ v: 1, ticks: [{ venue: "sim", symbol: "../../etc", price: 1, exchTs: 1, recvTs: 1, seq: 1 }] }),
    ];
    const before = await queryLocalLake(join(dir, "lake"), "SELECT count(*)::INTEGER AS n FROM ticks");
    for (const b of bad) await js.publish(subjects.tick("sim", "BTC-USD"), b);
    await js.publish(subjects.book("binance", "ETH-USDT"), encode({ v: 1, venue: "binance", symbol: "ETH-USDT" }));
    const good = await publishTicks(js, { symbols: ["BTC-USD"], messages: 3, perMessage: 10, start: T0 + 2 * HOUR, spanMs: 1000 });
    await waitForDrained(jsm, DURABLES);
    const after = await queryLocalLake(join(dir, "lake"), "SELECT count(*)::INTEGER AS n FROM ticks");
    expect(after[0]!.n).toBe((before[0]!.n as number) + good.length);
    const malformed = metrics.counter("archiver_malformed_messages_total", "");
    expect(malformed.get({ dataset: "ticks" })).toBe(bad.length);
    expect(malformed.get({ dataset: "book" })).toBe(1);
    expect(fatal).toEqual([]);
  });

  it("graceful stop flushes buffered rows, uploads them and acks before returning", async () => {
    await svc!.stop();
    svc = undefined;
    await start({ ARCHIVE_FLUSH_INTERVAL: "1h", ARCHIVE_FLUSH_ROWS: "1000000" });
    const ticks = await publishTicks(js, { symbols: ["ADA-USD"], messages: 10, perMessage: 20, start: T0 + 3 * HOUR, spanMs: 1000 });
    // Wait until the archiver holds them all (delivered, unacked), then stop it.
    for (let i = 0; i < 400 && svc!.status().unackedMessages !== 10; i++) await new Promise((r) => setTimeout(r, 50));
    expect(svc!.status().unackedMessages).toBe(10);
    await svc!.stop();
    svc = undefined;
    const ci = await jsm.consumers.info("MD", "arch-ticks");
    expect(ci.num_ack_pending).toBe(0);
    const [r] = await queryLocalLake(join(dir, "lake"), "SELECT count(*)::INTEGER AS n FROM ticks WHERE symbol = 'ADA-USD'");
    expect(r!.n).toBe(ticks.length);
  });
});
