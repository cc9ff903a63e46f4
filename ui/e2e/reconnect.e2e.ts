/**
 * Losing the edge: the banner appears and the last prices stay on screen marked
 * stale; when the edge is back the banner goes and prices move again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
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

describe("reconnecting dashboard", () => {
  it("shows stale prices under a banner while the edge is down and resumes when it is back", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: "dark" });
    await page.goto(edge.url + "/#/markets");
    await page.waitForSelector(".grid-body .grid-row");
    await page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected");

    await edge.stop();
    await page.waitForSelector("[data-testid=offline-banner]", { timeout: 5000 });
    expect(await page.locator("[data-testid=offline-banner]").textContent()).toMatch(/last known prices/);
    expect(await page.locator(".grid-panel").getAttribute("class")).toContain("stale");
    const sym = await page.locator(".grid-body .grid-row").first().getAttribute("data-symbol");
    const stalePrice = await page.locator(`.grid-body .grid-row[data-symbol="${sym}"] .c-price`).textContent();
    expect(stalePrice).toMatch(/\d/);
    await page.screenshot({ path: artifact("markets-offline.png") });
    // Still the same price a while later: nothing moves while offline.
    await page.waitForTimeout(1500);
    expect(await page.locator(`.grid-body .grid-row[data-symbol="${sym}"] .c-price`).textContent()).toBe(stalePrice);

    await edge.start();
    await page.waitForSelector("[data-testid=offline-banner]", { state: "detached", timeout: 20_000 });
    expect(await page.getAttribute("[role=status]", "data-status")).toBe("connected");
    expect(await page.locator(".grid-panel").getAttribute("class")).not.toContain("stale");
    await page.waitForFunction(
      ([s, text]) => document.querySelector(`.grid-body .grid-row[data-symbol="${s}"] .c-price`)?.textContent !== text,
      [sym, stalePrice] as const,
      { timeout: 5000 },
    );
    // Recovery re-subscribed the rooms the page holds, on the new connection.
    await expect.poll(() => edge.subscriptions().has("ticker.all"), { timeout: 5000 }).toBe(true);
    await page.close();
  });

  it("offers Reconnect now after 5 minutes offline, and it reconnects at once", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 700 }, colorScheme: "dark" });
    await ctx.clock.install(); // time flows normally until fast-forwarded
    const page = await ctx.newPage();
    await page.goto(edge.url + "/#/markets");
    await page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected");
    await edge.stop();
    await page.waitForSelector("[data-testid=offline-banner]", { timeout: 5000 });
    expect(await page.getByRole("button", { name: "Reconnect now" }).count()).toBe(0);

    // Six minutes in one-minute jumps: each jump fires the pending retry, which fails, so
    // the backoff grows to its 30 s cap and the next automatic retry is far away.
    for (let i = 0; i < 6; i++) {
      await page.clock.fastForward("01:00");
      await page.waitForTimeout(300); // let the failed attempt's close event arrive
    }
    await page.getByRole("button", { name: "Reconnect now" }).waitFor({ timeout: 5000 });
    expect(await page.getAttribute("[role=status]", "data-status")).toBe("offline");
    await page.screenshot({ path: artifact("markets-offline-5min.png") });

    await edge.start();
    await page.getByRole("button", { name: "Reconnect now" }).click();
    await page.waitForSelector("[data-testid=offline-banner]", { state: "detached", timeout: 5000 });
    expect(await page.getAttribute("[role=status]", "data-status")).toBe("connected");
    await ctx.close();
  });
});
