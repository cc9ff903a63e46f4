/**
 * The dashboard in real headless Chromium against the fake edge (500 symbols at
 * 10 Hz): prices move, scrolling changes the subscribed rooms, the watchlist
 * survives a reload, the coin chart fills with candles and live points.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { FakeEdge } from "../test/fake-edge.ts";
import { artifact, launch } from "./browser.ts";

let edge: FakeEdge;
let browser: Browser;

beforeAll(async () => {
  edge = new FakeEdge({ symbols: 500, hz: 10 });
  await edge.start();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await edge?.close();
});

async function openPage(path: string, opts: { width?: number; height?: number; dark?: boolean } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 }, colorScheme: opts.dark === false ? "light" : "dark" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(edge.url + path);
  return page;
}

const tickerRooms = () => new Set([...edge.subscriptions()].filter((r) => r.startsWith("ticker.") && r !== "ticker.all"));

describe("dashboard in Chromium", () => {
  it("loads, shows 500 symbols and their prices change", async () => {
    const page = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row");
    await page.waitForFunction(() => document.querySelector(".count")?.textContent === "500 symbols");
    expect(await page.getAttribute("[role=status]", "data-status")).toBe("connected");
    const first = await page.locator(".grid-body .grid-row").first().getAttribute("data-symbol");
    const priceOf = () => page.locator(`.grid-body .grid-row[data-symbol="${first}"] .c-price`).textContent();
    const before = await priceOf();
    await page.waitForFunction(
      ([sym, text]) => document.querySelector(`.grid-body .grid-row[data-symbol="${sym}"] .c-price`)?.textContent !== text,
      [first, before] as const,
      { timeout: 5000 },
    );
    // Virtual scrolling: only the rows in view (plus overscan) exist.
    expect(await page.locator(".grid-body .grid-row").count()).toBeLessThan(60);
    await page.screenshot({ path: artifact("markets-dark.png") });
    await page.context().close();
  });

  it("changes the subscribed ticker rooms when the grid is scrolled", async () => {
    const page = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row");
    await expect.poll(() => tickerRooms().size, { timeout: 5000 }).toBeGreaterThan(5);
    const top = tickerRooms();
    const rendered = await page.locator(".grid-body .grid-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-symbol")));
    expect([...top].every((r) => rendered.includes(r.slice("ticker.".length)))).toBe(true);

    await page.locator("[data-testid=grid-body]").evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect.poll(() => [...tickerRooms()].some((r) => top.has(r)), { timeout: 5000 }).toBe(false);
    const bottomRows = await page.locator(".grid-body .grid-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-symbol")));
    for (const r of tickerRooms()) expect(bottomRows).toContain(r.slice("ticker.".length));
    expect(edge.log.some((e) => e.op === "unsubscribe" && e.rooms.some((r) => top.has(r)))).toBe(true);
    expect(edge.subscriptions().has("ticker.all")).toBe(true);
    await page.context().close();
  });

  it("keeps the watchlist across a reload", async () => {
    const page = await openPage("/#/markets");
    // Sort by symbol so rows stay put while live volumes change (a click must land on the row we read).
    await page.locator(".grid-head button.sort", { hasText: "Coin" }).click();
    const second = page.locator(".grid-body .grid-row").nth(1);
    await second.waitFor();
    const sym = (await second.getAttribute("data-symbol"))!;
    // Rows re-sort as live volumes change: address the row by its symbol, not its position.
    const row = page.locator(`.grid-body .grid-row[data-symbol="${sym}"]`);
    await row.locator("button.star").click();
    expect(await row.locator("button.star").getAttribute("aria-pressed")).toBe("true");
    await page.reload();
    await page.waitForSelector(".grid-body .grid-row");
    await page.getByLabel("Watchlist only").check();
    await expect.poll(() => page.locator(".grid-body .grid-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-symbol"))))
      .toEqual([sym]);
    await page.goto(edge.url + "/#/portfolio");
    await page.waitForSelector(`[data-testid=watchlist] tr[data-symbol="${sym}"]`);
    await page.locator("input[name=symbol]").fill("BTC-USD");
    await page.locator("input[name=quantity]").fill("0.25");
    await page.locator("input[name=cost]").fill("60000");
    await page.getByRole("button", { name: "Add holding" }).click();
    await page.waitForSelector("[data-testid=holdings] tbody tr");
    await page.screenshot({ path: artifact("portfolio-dark.png") });
    await page.reload();
    await page.waitForSelector("[data-testid=holdings] tbody tr");
    expect(await page.locator("[data-testid=holdings] tbody tr").first().textContent()).toContain("BTC-USD");
    await page.context().close();
  });

  it("fills the coin chart with the candle room's replayed history", async () => {
    const page = await openPage("/#/coin/BTC-USD");
    const points = async () => Number(await page.getAttribute("[data-testid=candle-chart]", "data-points"));
    await page.waitForSelector("[data-testid=candle-chart]");
    // Candles drawn (the forming one updating in place is checked against the real stack in views.e2e.ts).
    await expect.poll(points, { timeout: 5000 }).toBeGreaterThan(100);
    expect(edge.subscriptions().has("candles.BTC-USD.1m")).toBe(true);
    expect(edge.log.some((e) => e.rooms.includes("candles.BTC-USD.1m") && e.since?.["candles.BTC-USD.1m"] === 0)).toBe(true);
    await page.screenshot({ path: artifact("coin-dark.png") });
    await page.selectOption("[data-testid=coin-select]", "ETH-USD");
    await expect.poll(() => edge.subscriptions().has("candles.ETH-USD.1m"), { timeout: 5000 }).toBe(true);
    await expect.poll(() => edge.subscriptions().has("candles.BTC-USD.1m"), { timeout: 5000 }).toBe(false);
    await page.context().close();
  });

  it("renders the overview and fits a phone screen", async () => {
    const page = await openPage("/#/overview", { dark: false });
    await page.waitForFunction(() => Number(document.querySelector(".chart-box.bars")?.getAttribute("data-bars")) >= 500, null, { timeout: 5000 });
    await page.waitForSelector(".feed-item");
    await page.waitForSelector(".badge");
    await page.screenshot({ path: artifact("overview-light.png"), fullPage: true });
    await page.context().close();

    const phone = await openPage("/#/markets", { width: 390, height: 844 });
    await phone.waitForSelector(".grid-body .grid-row");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: artifact("markets-phone.png") });
    await phone.context().close();
  });

  it("moves through the grid with the keyboard", async () => {
    const page = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row");
    await page.locator("[role=grid]").focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const active = await page.locator(".grid-row.active").getAttribute("data-symbol");
    expect(await page.locator("[role=grid]").getAttribute("aria-activedescendant")).toBe(`row-${active}`);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/#/coin/${active}`);
    await page.keyboard.press("/");
    await page.context().close();
  });
});
