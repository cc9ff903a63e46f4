/**
 * Chart history beyond ROOMLOG in real headless Chromium: a real edge (EDGE_LAKE_DIR on
 * a Parquet lake of the past 24 h of BTC-USD trades), a real nats-server whose ROOMLOG
 * holds only the last 30 minutes of `candles.BTC-USD.1m`, and the ranker's real
 * `cmd.candles.history` responder. The Coin view must show the 30 ROOMLOG minutes and,
 * before them, the lake's minutes (`GET /candles`), one candle per minute: no gap, no
 * duplicate, ROOMLOG's candle where both have a minute; then the forming candle moves.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { CandleData } from "../../lib/contracts/protocol.ts";
import { lakeCandles } from "../../lib/lake/candles.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { serveCandleHistory } from "../../actors/ranker/history.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { publishRoom } from "../../edge/testing.ts";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { type LakeTradeRow, writeLake } from "../../test/lake-files.ts";
import { artifact, launch } from "./browser.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const UI_DIST = join(ROOT, "ui", "dist");
const M = 60_000;
const ROOM = "candles.BTC-USD.1m";
/** The current minute when the test starts; ROOMLOG holds [NOW0 - 30 min, NOW0]. */
const NOW0 = Math.floor(Date.now() / M) * M;
const ROOMLOG_FROM = NOW0 - 30 * M;

let nats: NatsServerHandle | undefined;
let nc: NatsConnection | undefined;
let js: JetStreamClient;
let ranker: Subscription | undefined;
let edge: EdgeHandle | undefined;
let browser: Browser | undefined;
let work: string | undefined;
let lake: string;

const candle = (start: number, close: number, final: boolean): CandleData => ({
  symbol: "BTC-USD", start, open: close, high: close + 1, low: close - 1, close, volume: 1, trades: 3, empty: false, final, tf: "1m", source: "trades",
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "tf-ui-lake-"));
  lake = join(work, "lake");
  // The lake: a trade every 30 s from 24 h ago up to 10 minutes ago (it overlaps ROOMLOG's first 20 minutes).
  const trades: LakeTradeRow[] = [];
  let seq = 0;
  for (let ts = NOW0 - 1440 * M; ts < NOW0 - 10 * M; ts += 30_000) trades.push({ symbol: "BTC-USD", venue: "binance", ts, price: 90_000 + (seq % 50), size: 0.01, seq: ++seq });
  await writeLake(lake, [], trades);
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  await ensureStreams(await jetstreamManager(nc));
  js = jetstream(nc);
  // ROOMLOG: 30 final minutes (closes 50,000 + i, unlike any lake price) and the forming one.
  for (let i = 0; i <= 30; i++) await publishRoom(js, ROOM, i + 1, candle(ROOMLOG_FROM + i * M, 50_000 + i, i < 30));
  ranker = serveCandleHistory(nc, js, () => Date.now());
  edge = await startEdge({ env: { NATS_URL: nats.url, EDGE_HOST: "127.0.0.1", EDGE_PORT: "0", EDGE_ID: "edge-lake-e2e", UI_DIST, EDGE_LAKE_DIR: lake } });
  browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await edge?.stop(200).catch(() => {});
  ranker?.unsubscribe();
  await nc?.close().catch(() => {});
  await nats?.cleanup().catch(() => {});
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}, 30_000);

describe("Coin view history: ROOMLOG, then the lake before it", () => {
  it("opens BTC-USD with 24 h of 1-minute candles, one per minute, ROOMLOG's where both have one, and the forming candle moving", async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: "dark" });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const lakeAsks: string[] = [];
    page.on("request", (r) => { if (r.url().includes("/candles?")) lakeAsks.push(r.url()); });
    await page.goto(`http://127.0.0.1:${edge!.port}/#/coin/BTC-USD`);
    // What the dashboard must hold: ROOMLOG's 31 minutes, and the lake's minutes before the first of them.
    const older = await lakeCandles(lake, { symbol: "BTC-USD", tf: "1m", limit: 1440 - 31, before: ROOMLOG_FROM });
    expect(older.length).toBeGreaterThan(1350);
    const want = older.length + 31;
    await page.waitForFunction((n) => (document.querySelector("[data-testid=candle-count]")?.textContent ?? "").replace(/\D/g, "") === String(n), want, { timeout: 20_000 });
    // One lake request for the range before ROOMLOG; the chart paging back (its 24 h window reaches
    // left of the first candle) may add one for what precedes the lake's first minute, never a repeat.
    const asked = lakeAsks.map((u) => Object.fromEntries(new URL(u).searchParams));
    expect(asked[0]).toEqual({ symbol: "BTC-USD", tf: "1m", limit: "1409", before: String(ROOMLOG_FROM) });
    expect(new Set(asked.map((a) => a.before)).size).toBe(asked.length);
    expect(asked.length).toBeLessThanOrEqual(2);
    // The latest-candles table shows ROOMLOG's minutes (closes 50,0xx), not the lake's (90,0xx) it overlaps.
    const closes = async () => page.locator(".coin-grid table tbody tr").evaluateAll((rows) => rows.map((r) => r.textContent ?? ""));
    expect((await closes()).slice(0, 12).every((t) => /50,0\d\d/.test(t) && !/90,0\d\d/.test(t))).toBe(true);
    // The forming minute updates in place: same count, new close.
    await publishRoom(js, ROOM, 32, candle(NOW0, 51_234, false));
    await page.waitForFunction(() => (document.querySelector(".coin-grid table tbody tr")?.textContent ?? "").includes("51,234"), undefined, { timeout: 10_000 });
    expect((await page.textContent("[data-testid=candle-count]"))!.replace(/\D/g, "")).toBe(String(want));
    await page.screenshot({ path: artifact("coin-lake-history-1440x900.png") });
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
