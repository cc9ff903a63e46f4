/**
 * Every view in real headless Chromium against the real stack (private nats-server,
 * simulator, actor host with every actor, edge serving ui/dist), at 1440×900 and at
 * phone size 390×844: a screenshot of each into .artifacts/ui/views-<view>-<width>.png,
 * and the layout invariants checked on each:
 * - no horizontal overflow of the page;
 * - no clipped number (a numeric cell whose text is wider than its box);
 * - an axe-core scan with no serious or critical violation;
 * - Coin view: ≥ 1,000 candles drawn at 1m right after start (24 h of history from the
 *   history op), the forming candle updating, ≥ 24 candles at 1h.
 *
 * TICKFLOW_E2E_URL=http://127.0.0.1:PORT runs the same checks against a stack that is
 * already up (e.g. `npm start`) instead of starting one.
 */
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type Host, startHost } from "../../actors/host.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { type SimulatorHandle, startSimulator } from "../../sim/mod.ts";
import { freePort, type NatsServerHandle, startNatsServer } from "../../test/nats-server.ts";
import { artifact, launch } from "./browser.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const UI_DIST = join(ROOT, "ui", "dist");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SIZES = [{ width: 1440, height: 900 }, { width: 390, height: 844 }] as const;
const VIEWS = [
  { name: "markets", path: "/#/markets", ready: ".grid-body .grid-row" },
  { name: "overview", path: "/#/overview", ready: ".panel" },
  { name: "coin", path: "/#/coin/BTC-USD", ready: "[data-testid=candle-chart]" },
  { name: "portfolio", path: "/#/portfolio", ready: ".view" },
] as const;

let nats: NatsServerHandle | undefined;
let sim: SimulatorHandle | undefined;
let host: Host | undefined;
let edge: EdgeHandle | undefined;
let browser: Browser | undefined;
let work: string | undefined;
let base = process.env.TICKFLOW_E2E_URL ?? "";

beforeAll(async () => {
  if (!existsSync(join(UI_DIST, "index.html"))) {
    const r = spawnSync("npx", ["vite", "build", "--config", "ui/vite.config.ts", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`vite build failed with ${r.status}`);
  }
  browser = await launch();
  if (base) return;
  work = await mkdtemp(join(tmpdir(), "tf-ui-views-"));
  nats = await startNatsServer();
  sim = await startSimulator({ port: 0, seed: 11, symbols: 60, tickRate: 200 });
  host = await startHost({
    env: {
      NATS_URL: nats.url, HOST_ID: "ui-views", LEASE_MS: "3000", FEED: "sim", SIM_URL: `http://127.0.0.1:${sim.port}`,
      BOOKS: "true", SUBSCRIBE_RATE: "50", SUBSCRIBE_BURST: "50",
      ARCHIVE_URL: join(work, "lake"), ARCHIVE_STAGING_DIR: join(work, "staging"), ARCHIVE_CACHE_DIR: join(work, "lake-cache"),
      CANDLE_PARTIAL_INTERVAL: "1s", ALLOWED_LATENESS: "500ms", WATERMARK_IDLE: "1s", MOVERS_MIN_INTERVAL: "500ms", PULSE_WINDOW: "5s",
    },
    exitOnDrain: false,
  });
  const port = await freePort();
  edge = await startEdge({ env: { NATS_URL: nats.url, EDGE_HOST: "127.0.0.1", EDGE_PORT: String(port), EDGE_ID: "edge-views", UI_DIST } });
  base = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await edge?.stop(200).catch(() => {});
  await host?.stop().catch(() => {});
  await sim?.close().catch(() => {});
  await nats?.cleanup().catch(() => {});
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
}, 40_000);

async function open(path: string, size: { width: number; height: number }) {
  // bypassCSP: the page's CSP (script-src 'self') would refuse the injected axe-core.
  const ctx = await browser!.newContext({ viewport: size, colorScheme: "dark", bypassCSP: true });
  const page = await ctx.newPage();
  const candleFrames: string[] = [];
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("websocket", (ws) => ws.on("framereceived", (f) => {
    if (typeof f.payload === "string" && f.payload.startsWith('{"type":"update","room":"candles.')) candleFrames.push(f.payload);
  }));
  await page.goto(base + path);
  await page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected", null, { timeout: 30_000 });
  return { page, candleFrames };
}

/** Layout invariants: page overflow and numeric cells whose text does not fit. */
const layoutProblems = (page: Page) =>
  page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>(".num, .c-price, .c-num, [data-testid=coin-price], .stat-value")) {
      if (el.offsetParent === null) continue;
      if (el.scrollWidth > el.clientWidth + 1) out.push(`clipped ${el.className}: "${el.textContent?.trim()}" ${el.scrollWidth} > ${el.clientWidth}`);
      const r = el.getBoundingClientRect();
      if (r.right > doc.clientWidth + 1) out.push(`off-screen ${el.className}: "${el.textContent?.trim()}" right ${Math.round(r.right)}`);
    }
    return out.slice(0, 10);
  });

const waitLive = (page: Page) =>
  page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected", null, { timeout: 30_000 });

async function seriousA11y(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  return await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o?: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run({ resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
}

describe("every view at desktop and phone size, against the real stack", () => {
  for (const size of SIZES) {
    for (const view of VIEWS) {
      it(`${view.name} at ${size.width}×${size.height}: no overflow, no clipped number, no serious axe violation`, async () => {
        const { page } = await open(view.path, size);
        await page.waitForSelector(view.ready, { timeout: 30_000 });
        if (view.name === "coin") await page.waitForFunction(() => Number(document.querySelector("[data-testid=candle-chart]")?.getAttribute("data-points")) > 0, null, { timeout: 30_000 });
        await page.waitForTimeout(1500);
        await page.screenshot({ path: artifact(`views-${view.name}-${size.width}.png`) });
        expect(await layoutProblems(page)).toEqual([]);
        // Contrast is judged on live data: stale prices are dimmed on purpose (a loaded
        // machine can make the page "Delayed" for a few seconds).
        await waitLive(page);
        expect(await seriousA11y(page)).toEqual([]);
        await page.context().close();
      });
    }
  }

  it("opens BTC with ≥ 1,000 one-minute candles drawn, the forming one updating, and ≥ 24 candles at 1h", async () => {
    const { page, candleFrames } = await open("/#/coin/BTC-USD", SIZES[0]);
    const points = async () => Number(await page.getAttribute("[data-testid=candle-chart]", "data-points"));
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThanOrEqual(1000);
    // The forming candle arrives as in-progress updates of the 1m room (final: false).
    await expect.poll(() => candleFrames.filter((f) => f.includes('"final":false')).length, { timeout: 30_000 }).toBeGreaterThan(1);
    await page.getByRole("button", { name: "1h", exact: true }).click();
    await expect.poll(async () => Number((await page.textContent("[data-testid=candle-count]"))?.replace(/\D/g, "")), { timeout: 30_000 }).toBeGreaterThanOrEqual(24);
    await expect.poll(points, { timeout: 10_000 }).toBeGreaterThanOrEqual(24);
    await page.screenshot({ path: artifact("views-coin-1h-1440.png") });
    // Keyboard: zoom in with "+" on the focused chart draws fewer candles.
    await page.getByRole("button", { name: "1m", exact: true }).click();
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThanOrEqual(1000);
    await page.focus("[data-testid=candle-chart]");
    await page.keyboard.press("+");
    await page.keyboard.press("+");
    await expect.poll(points, { timeout: 5000 }).toBeLessThan(1000);
    await page.context().close();
  });

  it("markets grid: market-cap order with rank, name, venue, $ cap and a sparkline; venue filter; search by name", async () => {
    const { page } = await open("/#/markets", SIZES[0]);
    const first = page.locator(".grid-body .grid-row").first();
    await expect.poll(() => first.locator(".c-mcap").textContent(), { timeout: 30_000 }).toMatch(/^\$[\d.]+[TBMK]$/);
    const rows = page.locator(".grid-body .grid-row");
    // Each coin once per venue, in rank order (polled: the page learns symbols as they tick).
    const ranks = async () => (await rows.locator(".c-rank").allTextContents()).slice(0, 4).map(Number);
    await expect.poll(ranks, { timeout: 30_000 }).toEqual([1, 1, 2, 2]);
    expect(await first.getAttribute("data-symbol")).toMatch(/^BTC-/);
    expect(await first.locator(".c-sym .name").textContent()).toBe("Bitcoin");
    expect(new Set((await rows.locator(".c-venue").allTextContents()).slice(0, 4))).toEqual(new Set(["coinbase", "binance"]));
    expect(Number(await first.locator(".c-spark polyline").evaluate((p) => (p as SVGPolylineElement).points.length))).toBe(24);
    expect(await first.locator(".c-price").textContent()).toMatch(/^\$\d/);
    await page.selectOption("[data-testid=venue-filter]", "binance");
    await expect.poll(async () => new Set(await rows.locator(".c-venue").allTextContents()), { timeout: 5000 }).toEqual(new Set(["binance"]));
    await page.selectOption("[data-testid=venue-filter]", "");
    // Search by name: "ethereum" finds ETH (and Ethereum Classic), matched on the name, not the symbol.
    await page.fill("input[type=search]", "ethereum");
    const found = () => rows.evaluateAll((els) => els.map((e) => [e.getAttribute("data-symbol"), e.querySelector(".name")?.textContent ?? ""]));
    await expect.poll(async () => (await found()).map(([sym]) => sym), { timeout: 5000 }).toEqual(expect.arrayContaining(["ETH-USD", "ETH-USDT"]));
    for (const [sym, name] of await found()) expect(`${sym} ${name}`).toMatch(/^\S+ .*Ethereum/);
    await page.screenshot({ path: artifact("views-markets-search-1440.png") });
    await page.context().close();
  }, 120_000);

  it("fires a personal price alert in the page and keeps the rule across a reload", async () => {
    const { page } = await open("/#/portfolio", SIZES[1]);
    const panel = page.locator("[data-testid=price-alerts]");
    await panel.getByLabel("Coin", { exact: true }).fill("BTC-USD");
    await panel.getByLabel("Price", { exact: true }).fill("1");
    await panel.getByRole("button", { name: "Add alert" }).click();
    await expect.poll(() => panel.locator("[aria-live] .feed-item").count(), { timeout: 20_000 }).toBe(1);
    expect(await panel.locator("[aria-live] .feed-item").first().textContent()).toMatch(/BTC-USD is above 1/);
    await page.screenshot({ path: artifact("views-price-alerts-390.png"), fullPage: true });
    await page.reload();
    await expect.poll(() => panel.locator(".feed-item.rule").count(), { timeout: 10_000 }).toBe(1);
    expect(await layoutProblems(page)).toEqual([]);
    await page.context().close();
  });

  it("shows the order-book ladder (top 20 per side) and depth of a Binance symbol, regrouped on request", async () => {
    const { page } = await open("/#/coin/BTC-USDT", SIZES[0]);
    const rows = () => page.locator("[data-testid=book-ladder] tbody tr:not(.spread)").count();
    await expect.poll(rows, { timeout: 30_000 }).toBeGreaterThanOrEqual(30);
    const fine = await page.locator("[data-testid=book-ladder] tbody tr.bid td.num").first().textContent();
    await page.waitForTimeout(1000);
    await page.screenshot({ path: artifact("views-coin-book-1440.png"), fullPage: true });
    await page.locator(".book select").selectOption({ index: 4 });
    await expect.poll(rows, { timeout: 5000 }).toBeLessThan(30);
    expect(await page.locator("[data-testid=book-ladder] tbody tr.bid td.num").first().textContent()).not.toBe(fine);
    expect(await layoutProblems(page)).toEqual([]);
    await page.context().close();
  });
});
