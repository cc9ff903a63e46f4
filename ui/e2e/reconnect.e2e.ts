/**
 * Losing the edge, for real: a private nats-server, the edge as its own process
 * (edge/main.ts) serving ui/dist, and publishers onto NATS in the producers' wire format
 * (ticker rooms as the coalescer sends them, the `alerts` stream room through JetStream
 * with contiguous seqs as the ranker does). The edge process is killed with -9 and a new
 * one started on the same port: the banner appears, the last prices stay on screen
 * unchanged while the publisher moves on, and after the restart the page shows the
 * publisher's last prices and every alert published, across the outage, exactly once
 * (no gap, no duplicate). Then 5 minutes offline (page clock fast-forwarded) bring
 * "Reconnect now", which reconnects at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { rooms } from "../../lib/contracts/subjects.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { type NatsServerHandle, startNatsServer } from "../../test/nats-server.ts";
import { Procs, waitUntil } from "../../test/chaos/procs.ts";
import { artifact, launch } from "./browser.ts";
import { AlertFeed, connected, EdgeProcess, ensureUiBuilt, gridPrices, openRecordingPage, type Sent, TickerFeed } from "./stack.ts";

const SYMBOLS = Array.from({ length: 40 }, (_, i) => `R${String(i).padStart(2, "0")}-USD`);
/** The edge's room limit per connection: below what the grid wants (ticker.all, markets and ~20 rows in view). */
const MAX_ROOMS = 12;
/** Alerts shown on the overview (AlertsFeed limit). */
const SHOWN = 30;

const procs = new Procs();
let nats: NatsServerHandle | undefined;
let nc: NatsConnection | undefined;
let edge: EdgeProcess | undefined;
let tickers: TickerFeed | undefined;
let alerts: AlertFeed | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  ensureUiBuilt();
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url, name: "ui reconnect e2e", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await ensureStreams(await jetstreamManager(nc));
  tickers = new TickerFeed(nc, SYMBOLS, 100);
  alerts = new AlertFeed(jetstream(nc), 250);
  [edge, browser] = await Promise.all([EdgeProcess.start(procs, nats.url, { EDGE_MAX_ROOMS: String(MAX_ROOMS) }), launch()]);
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await alerts?.stop().catch(() => {});
  await tickers?.stop().catch(() => {});
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await nats?.cleanup();
}, 30_000);

/** The alert numbers the overview's feed shows, newest first ("alert 17" → 17). */
const shownAlerts = (page: Page) =>
  page.locator(".feed-item .msg").evaluateAll((els) => els.map((e) => Number(/^alert (\d+)$/.exec(e.textContent ?? "")?.[1] ?? NaN)));

/** What a page with no gap and no duplicate shows after `last` alerts: last, last−1, … (at most SHOWN). */
const expectedAlerts = (last: number) => Array.from({ length: Math.min(SHOWN, last) }, (_, i) => last - i);

/** The most rooms the page's frames asked one connection to hold at once (subscribes minus unsubscribes, in order). */
function maxHeld(frames: Sent[]): number {
  const held = new Set<string>();
  let max = 0;
  for (const f of frames) {
    for (const r of f.rooms ?? []) {
      if (f.op === "subscribe") held.add(r);
      else if (f.op === "unsubscribe") held.delete(r);
    }
    max = Math.max(max, held.size);
  }
  return max;
}

const status = (page: Page) => page.getAttribute("[role=status]", "data-status");

describe("reconnecting dashboard against a real edge process", () => {
  it("keeps the last prices under a banner while the edge process is dead, then shows every alert once and the latest prices", async () => {
    const markets = await openRecordingPage(browser!, `${edge!.url}/#/markets`);
    const overview = await openRecordingPage(browser!, `${edge!.url}/#/overview`);
    const grid = markets.page;
    await grid.waitForSelector(".grid-body .grid-row", { timeout: 30_000 });
    await Promise.all([connected(grid), connected(overview.page)]);
    await grid.waitForFunction((n) => document.querySelector(".count")?.textContent === `${n} symbols`, SYMBOLS.length, { timeout: 15_000 });
    await expect.poll(async () => (await shownAlerts(overview.page)).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);

    // The page keeps to the edge's hello.limits.maxRooms: never more rooms held than that.
    await expect.poll(() => maxHeld(markets.sent), { timeout: 10_000 }).toBe(MAX_ROOMS);
    const sentBeforeKill = markets.sent.length;
    await edge!.kill9();
    const killedAt = { steps: tickers!.steps };
    await Promise.all([grid, overview.page].map((p) => p.waitForSelector("[data-testid=offline-banner]", { timeout: 10_000 })));
    expect(await grid.locator("[data-testid=offline-banner]").textContent()).toMatch(/last known prices/);
    expect(await grid.locator(".grid-panel").getAttribute("class")).toContain("stale");
    const stale = await gridPrices(grid);
    expect(Object.values(stale).filter((p) => /\d/.test(p)).length).toBeGreaterThan(5);
    const alertsWhenDown = await shownAlerts(overview.page);
    await grid.screenshot({ path: artifact("markets-offline.png") });
    // The publishers carry on (prices move, alerts are stored in ROOMLOG); nothing reaches the page.
    await alerts!.publishMore(4);
    alerts!.pause();
    await waitUntil("prices published during the outage", () => tickers!.steps >= killedAt.steps + 20, 20_000);
    expect(await gridPrices(grid)).toEqual(stale);
    expect(await shownAlerts(overview.page)).toEqual(alertsWhenDown);

    await edge!.restart();
    await Promise.all([grid, overview.page].map((p) => p.waitForSelector("[data-testid=offline-banner]", { state: "detached", timeout: 30_000 })));
    expect(await status(grid)).toBe("connected");
    expect(await grid.locator(".grid-panel").getAttribute("class")).not.toContain("stale");
    // The overview re-subscribed `alerts` with since = the last seq it had shown.
    const resub = overview.sent.filter((f) => f.op === "subscribe" && f.rooms?.includes(rooms.alerts));
    expect(resub.length).toBeGreaterThanOrEqual(2);
    expect(resub.at(-1)!.since?.[rooms.alerts]).toBe(Math.max(...alertsWhenDown));

    // A few live alerts on the new connection, then freeze both publishers: the page must
    // then show exactly what was published last.
    await alerts!.publishMore(3);
    alerts!.pause();
    tickers!.pause();
    const last = alerts!.acked;
    // The outage is inside what the feed shows, so a hole there would be seen.
    expect(last - SHOWN + 1).toBeLessThanOrEqual(Math.max(...alertsWhenDown));
    await expect.poll(() => shownAlerts(overview.page).then((s) => s[0]), { timeout: 15_000 }).toBe(last);
    expect(await shownAlerts(overview.page)).toEqual(expectedAlerts(last));

    const want = (syms: string[]) => Object.fromEntries(syms.map((s) => [s, `$${tickers!.last.get(s)!.toFixed(2)}`]));
    await expect.poll(async () => {
      const now = await gridPrices(grid);
      return JSON.stringify(now) === JSON.stringify(want(Object.keys(now)));
    }, { timeout: 15_000 }).toBe(true);
    const shown = await gridPrices(grid);
    expect(shown).toEqual(want(Object.keys(shown)));
    // Rows are unique per symbol and the list is whole again.
    expect(await grid.locator(".count").textContent()).toBe(`${SYMBOLS.length} symbols`);
    // On the new connection too, and the edge never had to refuse a subscribe (too_many_rooms).
    expect(maxHeld(markets.sent.slice(sentBeforeKill))).toBeLessThanOrEqual(MAX_ROOMS);
    expect(markets.errors).toEqual([]);
    expect(overview.errors).toEqual([]);
    tickers!.resume();
    await grid.context().close();
    await overview.page.context().close();
  });

  it("recovers a frame lost and one repeated between edge and page: a replay from its last seq, every alert shown once", async () => {
    // The one fake part: a man in the middle in the browser (routeWebSocket) that drops one
    // `alerts` frame and sends another twice. A real edge does neither on a healthy link;
    // what it is for is the page's recovery through the real edge's replay.
    const ctx = await browser!.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: "dark", locale: "en-US" });
    const sent: string[] = [];
    const fault = { drop: 0, repeat: 0, dropped: 0, repeated: 0 };
    await ctx.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        if (typeof m === "string") sent.push(m);
        server.send(m);
      });
      server.onMessage((m) => {
        const seq = typeof m === "string" && m.startsWith(`{"type":"update","room":"${rooms.alerts}",`) ? Number(/"seq":(\d+),/.exec(m)?.[1]) : 0;
        if (seq && seq === fault.drop && fault.dropped === 0) {
          fault.dropped++;
          return;
        }
        ws.send(m);
        if (seq && seq === fault.repeat && fault.repeated === 0) {
          fault.repeated++;
          ws.send(m);
        }
      });
    });
    const page = await ctx.newPage();
    await page.goto(`${edge!.url}/#/overview`);
    await connected(page);
    await expect.poll(async () => (await shownAlerts(page)).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    fault.repeat = alerts!.acked + 2;
    fault.drop = alerts!.acked + 4;
    await alerts!.publishMore(7);
    alerts!.pause();
    const last = alerts!.acked;
    expect(fault).toMatchObject({ dropped: 1, repeated: 1 });
    await expect.poll(() => shownAlerts(page).then((s) => s[0]), { timeout: 15_000 }).toBe(last);
    expect(await shownAlerts(page)).toEqual(expectedAlerts(last));
    // It asked the edge for what it missed, from the seq before the hole.
    const resub = sent.map((t) => JSON.parse(t) as Sent).filter((f) => f.op === "subscribe" && f.rooms?.includes(rooms.alerts));
    expect(resub.at(-1)?.since?.[rooms.alerts]).toBe(fault.drop - 1);
    await ctx.close();
  });

  it("offers Reconnect now after 5 minutes offline, and it reconnects at once", async () => {
    const { page, closed } = await openRecordingPage(browser!, `${edge!.url}/#/markets`, { width: 1200, height: 700, clock: true });
    await connected(page);
    await edge!.kill9();
    await page.waitForSelector("[data-testid=offline-banner]", { timeout: 10_000 });
    expect(await page.getByRole("button", { name: "Reconnect now" }).count()).toBe(0);

    // Six minutes in one-minute jumps: each jump fires the pending retry, which fails, so
    // the backoff grows to its 30 s cap and the next automatic retry is far away.
    for (let i = 0; i < 6; i++) {
      const before = closed();
      await page.clock.fastForward("01:00");
      // The retry's socket failed (its close event arrived): the next retry is scheduled.
      await expect.poll(closed, { timeout: 5_000 }).toBeGreaterThan(before);
    }
    await page.getByRole("button", { name: "Reconnect now" }).waitFor({ timeout: 5000 });
    expect(await status(page)).toBe("offline");
    await page.screenshot({ path: artifact("markets-offline-5min.png") });

    await edge!.restart();
    await page.getByRole("button", { name: "Reconnect now" }).click();
    await page.waitForSelector("[data-testid=offline-banner]", { state: "detached", timeout: 5000 });
    expect(await status(page)).toBe("connected");
    await page.context().close();
  });
});
