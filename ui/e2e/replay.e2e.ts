/**
 * A replay in real headless Chromium: five minutes of ticks are published to a real
 * nats-server and archived by the real archiver into a Parquet lake; then the real
 * `tickflow replay` CLI (a child process) republishes them at 10×, and the dashboard,
 * opened with `?replay=<id>` on a real edge, shows them as if live, marked as a replay:
 * the replay badge's clock runs through the archived range at ~10× wall time, the grid's
 * prices move, and at the end every symbol shows its last archived price.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { type ArchivedLake, archiveTicks } from "../../test/archived-lake.ts";
import { artifact, launch } from "./browser.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const UI_DIST = join(ROOT, "ui", "dist");
const FROM = Date.UTC(2025, 10, 22, 6, 10, 0);
const TO = FROM + 5 * 60_000;
const SYMBOLS = Array.from({ length: 20 }, (_, i) => `C${i}-USD`);

let nats: NatsServerHandle | undefined;
let nc: NatsConnection | undefined;
let edge: EdgeHandle | undefined;
let browser: Browser | undefined;
let work: string | undefined;
let archived: ArchivedLake;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "tf-ui-replay-"));
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  // 3,000 ticks over the five minutes: every symbol ticks about every 2 s of lake time.
  archived = await archiveTicks(nc, nats.url, work, { symbols: SYMBOLS, messages: 1500, perMessage: 2, start: FROM, spanMs: TO - FROM });
  edge = await startEdge({ env: { NATS_URL: nats.url, EDGE_HOST: "127.0.0.1", EDGE_PORT: "0", EDGE_ID: "edge-replay-e2e", UI_DIST, EDGE_LAKE_DIR: archived.lake } });
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await edge?.stop(200).catch(() => {});
  await nc?.close().catch(() => {});
  await nats?.cleanup().catch(() => {});
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}, 30_000);

/** `tickflow replay` as a user runs it; resolves with its exit code and output. */
function runReplayCli(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnTsx("ops/main.ts", { args: ["replay", ...args], env: { NATS_URL: nats!.url, ARCHIVE_URL: archived.lake, LOG_LEVEL: "warning" } });
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.once("exit", (code) => resolve({ code, out })));
}

const replayAt = async (page: Page): Promise<number> => Number(await page.getAttribute("[data-replay-at]", "data-replay-at"));

/** The numeric price each grid row shows, by symbol. */
const gridPrices = (page: Page) =>
  page.locator(".grid-body .grid-row").evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute("data-symbol") ?? "", Number((r.querySelector(".c-price")?.textContent ?? "").replace(/[^0-9.]/g, ""))])));

describe("replay in the dashboard", () => {
  it("shows an archived 5 minutes at 10× as if live, marked as a replay", async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1400, height: 1100 }, colorScheme: "dark" });
    const page = await ctx.newPage();
    const sent: string[] = [];
    page.on("pageerror", (e) => console.error("page error:", e.message));
    page.on("websocket", (ws) => ws.on("framesent", (f) => void (typeof f.payload === "string" && sent.push(f.payload))));
    await page.goto(`http://127.0.0.1:${edge!.port}/?replay=e2e#/markets`);
    await page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected", null, { timeout: 30_000 });
    expect(await page.textContent(".replay-badge")).toContain("Replay e2e");

    const started = Date.now();
    const cli = runReplayCli(["--from", new Date(FROM).toISOString(), "--to", new Date(TO).toISOString(), "--speed", "10", "--id", "e2e"]);
    // The CLI process starts (tsx, DuckDB) and reads the lake before its first publish.
    await page.waitForFunction((n) => document.querySelectorAll(".grid-body .grid-row").length >= n, SYMBOLS.length, { timeout: 30_000 });
    await page.waitForSelector("[data-replay-at]", { timeout: 20_000 });

    // The badge's clock is the archived range's, and runs at ~10× wall time.
    const a = await replayAt(page);
    const wallA = Date.now();
    await page.waitForTimeout(4000);
    const b = await replayAt(page);
    const wallB = Date.now();
    expect(a).toBeGreaterThanOrEqual(FROM);
    expect(b).toBeLessThan(TO);
    const speed = (b - a) / (wallB - wallA);
    expect(speed).toBeGreaterThan(6);
    expect(speed).toBeLessThan(14);
    // Live while replayed updates arrive; the prices move.
    expect(await page.getAttribute("[role=status]", "data-status")).toBe("connected");
    const before = await gridPrices(page);
    await page.waitForTimeout(1500);
    const after = await gridPrices(page);
    expect(SYMBOLS.filter((s) => before[s] !== after[s]).length).toBeGreaterThan(10);
    await page.screenshot({ path: artifact("replay-markets.png") });

    const r = await cli;
    expect(r.code, r.out).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(25_000); // 5 minutes at 10× is 30 s
    expect(r.out).toMatch(/replay e2e done: \d+ intervals, \d+ ticker updates, 20 symbols/);
    // At the end every symbol shows its last archived price and the badge the last tick's time.
    await page.waitForTimeout(500);
    const last = Object.fromEntries(SYMBOLS.map((s) => [s, archived.ticks.filter((t) => t.symbol === s).at(-1)!]));
    const final = await gridPrices(page);
    for (const s of SYMBOLS) expect(Math.abs(final[s]! - last[s]!.price), s).toBeLessThan(0.01);
    expect(await replayAt(page)).toBe(Math.max(...Object.values(last).map((t) => t.exchTs)));
    // The page asked only for the replay's rooms, never for live ones.
    const asked = sent.map((f) => JSON.parse(f) as { op: string; rooms?: string[] }).filter((f) => f.op === "subscribe").flatMap((f) => f.rooms ?? []);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((room) => room.startsWith("replay.e2e."))).toBe(true);
    await ctx.close();
  }, 90_000);
});
