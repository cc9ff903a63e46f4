/**
 * The dashboard in real headless Chromium against the real stack, all started here:
 * a private nats-server, the exchange simulator, an actor host running every actor
 * (shard → JetStream → coalescer/ranker → rooms; poller, archiver into a temp dir) and
 * an edge serving the built ui/dist. Prices come from simulator ticks; scrolling is
 * checked through the edge's /metrics and the frames the page sends; the watchlist and
 * holdings survive a reload; switching coins moves the edge's candle room; the grid
 * works from the keyboard; the edge is then stopped and a new one started on the same
 * port. (The former fake-edge `dashboard` suite's cases live here, on this one stack.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { subjects } from "../../lib/contracts/subjects.ts";
import { type Host, startHost } from "../../actors/host.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { type SimulatorHandle, startSimulator } from "../../sim/mod.ts";
import { freePort, type NatsServerHandle, startNatsServer } from "../../test/nats-server.ts";
import { artifact, launch } from "./browser.ts";
import { connected, ensureUiBuilt, gridPrices, openRecordingPage, pricesMove, subscribedRooms, UI_DIST } from "./stack.ts";

const COIN = "BTC-USD";

let nats: NatsServerHandle | undefined;
let sim: SimulatorHandle | undefined;
let host: Host | undefined;
let edge: EdgeHandle | undefined;
let watcher: NatsConnection | undefined;
let browser: Browser | undefined;
let work: string | undefined;
let edgePort = 0;
const hostErrors: unknown[] = [];
/** Room messages seen on NATS, by room (what the actors produced). */
const produced = new Map<string, number>();

const baseUrl = () => `http://127.0.0.1:${edgePort}`;

async function startTheEdge(): Promise<EdgeHandle> {
  return await startEdge({
    env: {
      NATS_URL: nats!.url,
      EDGE_HOST: "127.0.0.1",
      EDGE_PORT: String(edgePort),
      EDGE_ID: "edge-ui-e2e",
      UI_DIST,
      // Every room with a subscriber shows up in edge_room_subscribers.
      EDGE_METRICS_TOP_ROOMS: "1000",
    },
  });
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) {
      const seen = [...produced].slice(0, 8).map(([r, n]) => `${r}×${n}`).join(", ");
      throw new Error(`${what} not within ${timeoutMs} ms; rooms produced: ${produced.size} (${seen}); sim ${JSON.stringify(sim?.stats())}; host errors ${hostErrors.length}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  ensureUiBuilt();
  work = await mkdtemp(join(tmpdir(), "tf-ui-real-"));
  nats = await startNatsServer();
  // 100 products → 200 symbols (Coinbase X-USD and Binance X-USDT); ~3 ticks/s each.
  sim = await startSimulator({ port: 0, seed: 7, symbols: 100, tickRate: 300 });
  watcher = await connect({ servers: nats.url, name: "ui e2e watcher" });
  watcher.subscribe(subjects.allRooms, {
    callback: (_e, m) => {
      const room = m.subject.slice("room.".length);
      produced.set(room, (produced.get(room) ?? 0) + 1);
    },
  });
  host = await startHost({
    env: {
      NATS_URL: nats.url,
      HOST_ID: "ui-e2e",
      LEASE_MS: "3000",
      FEED: "sim",
      SIM_URL: `http://127.0.0.1:${sim.port}`,
      BOOKS: "false",
      SUBSCRIBE_RATE: "50",
      SUBSCRIBE_BURST: "50",
      ARCHIVE_URL: join(work, "lake"),
      ARCHIVE_STAGING_DIR: join(work, "staging"),
      ARCHIVE_CACHE_DIR: join(work, "lake-cache"),
      // Short ranker windows so candles, movers and pulse appear within seconds.
      CANDLE_PARTIAL_INTERVAL: "1s",
      ALLOWED_LATENESS: "500ms",
      WATERMARK_IDLE: "1s",
      MOVERS_MIN_INTERVAL: "500ms",
      PULSE_WINDOW: "5s",
    },
    exitOnDrain: false,
    onGiveUp: (e) => void hostErrors.push(e),
  });
  edgePort = await freePort();
  edge = await startTheEdge();
  // The shard needs a few seconds to subscribe upstream and the coalescer to take its lease.
  await waitFor(`ticks for ${COIN} through the coalescer`, () => produced.has(`ticker.${COIN}`) && produced.has("ticker.all"), 60_000);
  browser = await launch();
}, 100_000);

afterAll(async () => {
  const steps: Array<[string, (() => Promise<unknown>) | undefined]> = [
    ["browser", browser && (() => browser!.close())],
    ["edge", edge && (() => edge!.stop(200))],
    ["watcher", watcher && (() => watcher!.close())],
    ["host", host && (() => host!.stop())],
    ["simulator", sim && (() => sim!.close())],
    ["nats", nats && (() => nats!.cleanup())],
    // Retries: an archiver flush that outlived its stop deadline on a busy machine may still be writing.
    ["temp dir", work ? () => rm(work!, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 }) : undefined],
  ];
  for (const [name, step] of steps) await step?.().catch((e: unknown) => console.error(`stopping ${name}:`, e));
}, 40_000);

const openPage = (path: string, opts: { width?: number; height?: number } = {}) => openRecordingPage(browser!, baseUrl() + path, opts);
const subscribedTickerRooms = () => subscribedRooms(baseUrl());

describe("dashboard on the real stack", () => {
  it("loads the simulator's symbols and their prices change", async () => {
    const { page } = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row", { timeout: 30_000 });
    await connected(page);
    // ticker.all brings the symbol list; 100 simulated products are 200 symbols over both venues.
    await page.waitForFunction(() => Number(/^(\d+) symbols$/.exec(document.querySelector(".count")?.textContent ?? "")?.[1]) >= 100, null, { timeout: 30_000 });
    const before = await gridPrices(page);
    expect(Object.values(before).filter((p) => /\d/.test(p)).length).toBeGreaterThan(5);
    await pricesMove(page, before, 3);
    // Virtual scrolling: only the rows in view (plus overscan) exist.
    expect(await page.locator(".grid-body .grid-row").count()).toBeLessThan(60);
    await page.screenshot({ path: artifact("real-stack-markets.png") });
    await page.context().close();
  });

  it("changes the rooms subscribed at the edge when the grid is scrolled", async () => {
    const { page, sent } = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row", { timeout: 30_000 });
    await page.waitForFunction(() => Number(/^(\d+) symbols$/.exec(document.querySelector(".count")?.textContent ?? "")?.[1]) >= 100, null, { timeout: 30_000 });
    // Rows re-sort under live volumes and subscriptions follow within a flush interval:
    // wait for a moment where the edge's rooms are exactly rooms of rendered rows.
    let top = new Set<string>();
    const consistent = async () => {
      const subs = await subscribedTickerRooms();
      const rendered = Object.keys(await gridPrices(page));
      return { subs, ok: subs.size > 5 && [...subs].every((r) => rendered.includes(r.slice("ticker.".length))) };
    };
    await expect.poll(async () => {
      const c = await consistent();
      top = c.subs;
      return c.ok;
    }, { timeout: 20_000 }).toBe(true);

    await page.locator("[data-testid=grid-body]").evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect.poll(async () => {
      const now = await subscribedTickerRooms();
      return now.size > 5 && ![...now].some((r) => top.has(r));
    }, { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => (await consistent()).ok, { timeout: 20_000 }).toBe(true);
    // The page said so itself: it left the top rows' rooms and kept ticker.all.
    await expect.poll(() => sent.some((f) => f.op === "unsubscribe" && f.rooms?.some((r) => top.has(r))), { timeout: 5_000 }).toBe(true);
    expect(sent.some((f) => f.op === "subscribe" && f.rooms?.includes("ticker.all"))).toBe(true);
    expect(sent.some((f) => f.op === "unsubscribe" && f.rooms?.includes("ticker.all"))).toBe(false);
    // The rows now in view have live prices too.
    await pricesMove(page, await gridPrices(page), 2);
    await page.context().close();
  });

  it("keeps the watchlist across a reload", async () => {
    const { page } = await openPage("/#/markets");
    // Sort by symbol so rows stay put while live volumes change (a click must land on the row we read).
    await page.locator(".grid-head button.sort", { hasText: "Coin" }).click();
    await page.waitForTimeout(300);
    const third = page.locator(".grid-body .grid-row").nth(2);
    await third.waitFor({ timeout: 30_000 });
    const sym = (await third.getAttribute("data-symbol"))!;
    // Rows re-sort as live volumes change: address the row by its symbol, not its position.
    const row = page.locator(`.grid-body .grid-row[data-symbol="${sym}"]`);
    await row.locator("button.star").click();
    await expect.poll(() => page.locator(`.grid-body .grid-row[data-symbol="${sym}"] button.star`).getAttribute("aria-pressed"), { timeout: 10_000 }).toBe("true");
    await page.reload();
    await page.waitForSelector(".grid-body .grid-row", { timeout: 30_000 });
    await page.getByLabel("Watchlist only").check();
    await expect.poll(() => page.locator(".grid-body .grid-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-symbol"))), { timeout: 10_000 })
      .toEqual([sym]);
    await page.goto(baseUrl() + "/#/portfolio");
    await page.waitForSelector(`[data-testid=watchlist] tr[data-symbol="${sym}"]`, { timeout: 15_000 });
    await page.context().close();
  });

  it("keeps a holding across a reload", async () => {
    const { page } = await openPage("/#/portfolio");
    await page.locator("input[name=symbol]").fill(COIN);
    await page.locator("input[name=quantity]").fill("0.25");
    await page.locator("input[name=cost]").fill("60000");
    await page.getByRole("button", { name: "Add holding" }).click();
    await page.waitForSelector("[data-testid=holdings] tbody tr");
    await page.screenshot({ path: artifact("real-stack-portfolio.png") });
    await page.reload();
    await page.waitForSelector("[data-testid=holdings] tbody tr", { timeout: 15_000 });
    expect(await page.locator("[data-testid=holdings] tbody tr").first().textContent()).toContain(COIN);
    await page.context().close();
  });

  it("fills the coin chart from the candle room and live ticks", async () => {
    const { page, sent, received } = await openPage(`/#/coin/${COIN}`);
    const candles = `candles.${COIN}.1m`;
    const points = async () => Number(await page.getAttribute("[data-testid=candle-chart]", "data-points"));
    await page.waitForSelector("[data-testid=candle-chart]", { timeout: 30_000 });
    await connected(page);
    // Frames the page sent reach this test through the DevTools protocol, a little later.
    await expect.poll(() => sent.some((f) => f.op === "subscribe" && f.rooms?.includes(candles) && f.since?.[candles] === 0), { timeout: 10_000 }).toBe(true);
    // Partial candles of the current minute come from the ranker every second.
    await expect.poll(() => received.get(candles) ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
    // 24 h of 1-minute candles: the history op (venue klines before the first live candle).
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThanOrEqual(1000);
    expect(await page.locator("[data-testid=coin-price]").textContent()).toMatch(/\d/);
    await page.waitForTimeout(1000); // a few more live points for the screenshot
    await page.screenshot({ path: artifact("real-stack-coin.png") });
    // Another coin: the edge's candle rooms follow (held while shown, released after).
    await page.selectOption("[data-testid=coin-select]", "ETH-USD");
    await expect.poll(async () => [...await subscribedRooms(baseUrl(), "candles.")], { timeout: 10_000 }).toEqual(["candles.ETH-USD.1m"]);
    await page.context().close();
  });

  it("moves through the grid with the keyboard", async () => {
    const { page } = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row", { timeout: 30_000 });
    await page.locator("[role=grid]").focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const active = await page.locator(".grid-row.active").getAttribute("data-symbol");
    // Two rows down from the first: the third row (aria-rowindex counts the header as 1).
    expect(await page.locator(".grid-row.active").getAttribute("aria-rowindex")).toBe("4");
    expect(await page.locator("[role=grid]").getAttribute("aria-activedescendant")).toBe(`row-${active}`);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/#/coin/${active}`);
    await page.context().close();
  });

  it("renders the overview's whole-market chart", async () => {
    const { page } = await openPage("/#/overview");
    await page.waitForFunction(() => Number(document.querySelector(".chart-box.bars")?.getAttribute("data-bars")) >= 100, null, { timeout: 30_000 });
    await page.waitForTimeout(1500); // the bar chart redraws once a second
    await page.screenshot({ path: artifact("real-stack-overview.png"), fullPage: true });
    await page.context().close();
  });

  it("shows stale prices under a banner while the edge is down and resumes on a new edge", async () => {
    const { page } = await openPage("/#/markets");
    await page.waitForSelector(".grid-body .grid-row", { timeout: 30_000 });
    await connected(page);
    await pricesMove(page, await gridPrices(page), 1);

    await edge!.stop(200);
    edge = undefined;
    await page.waitForSelector("[data-testid=offline-banner]", { timeout: 10_000 });
    expect(await page.locator("[data-testid=offline-banner]").textContent()).toMatch(/last known prices/);
    expect(await page.locator(".grid-panel").getAttribute("class")).toContain("stale");
    const stale = await gridPrices(page);
    expect(Object.values(stale).filter((p) => /\d/.test(p)).length).toBeGreaterThan(5);
    await page.screenshot({ path: artifact("real-stack-offline.png") });
    // Ticks keep flowing into NATS, but nothing reaches the page.
    const producedBefore = produced.get("ticker.all") ?? 0;
    await page.waitForTimeout(2000);
    expect(produced.get("ticker.all") ?? 0).toBeGreaterThan(producedBefore);
    expect(await gridPrices(page)).toEqual(stale);

    edge = await startTheEdge();
    await page.waitForSelector("[data-testid=offline-banner]", { state: "detached", timeout: 30_000 });
    expect(await page.getAttribute("[role=status]", "data-status")).toBe("connected");
    expect(await page.locator(".grid-panel").getAttribute("class")).not.toContain("stale");
    await pricesMove(page, stale, 3);
    expect(edge.hub.sessions.size).toBeGreaterThan(0);
    await expect.poll(async () => (await subscribedTickerRooms()).size, { timeout: 10_000 }).toBeGreaterThan(5);
    await page.context().close();
    expect(hostErrors).toEqual([]);
  });
});
