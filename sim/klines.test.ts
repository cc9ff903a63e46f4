import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client, getJson, isDecimal } from "./testkit.ts";

let sim: SimulatorHandle;
let base: string;
let startMinute: number;
const MIN = 60_000;

beforeAll(async () => {
  startMinute = Math.floor(Date.now() / MIN) * MIN;
  sim = await startSimulator({ port: 0, seed: 5, symbols: 20, tickRate: 500 });
  base = sim.urls.binanceRest;
});
afterAll(() => sim.close());

const get = async (path: string) => {
  const r = await fetch(base + path);
  return { status: r.status, body: (await r.json()) as unknown };
};

describe("simulator klines (Binance /api/v3/klines, /fapi/v1/klines)", () => {
  it("returns the most recent 1000 one-minute klines in Binance's row format, oldest first", async () => {
    const rows = await getJson<unknown[][]>(`${base}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000`);
    expect(rows).toHaveLength(1000);
    const [t, o, h, l, c, v, close, quote, n, tb, tq, ignore] = rows[0]!;
    expect(typeof t).toBe("number");
    for (const s of [o, h, l, c, v, quote, tb, tq]) expect(isDecimal(s)).toBe(true);
    expect(close).toBe((t as number) + MIN - 1);
    expect(Number.isInteger(n)).toBe(true);
    expect(ignore).toBe("0");
    for (let i = 1; i < rows.length; i++) expect(rows[i]![0]).toBe((rows[i - 1]![0] as number) + MIN);
    for (const r of rows) {
      const [hi, lo] = [Number(r[2]), Number(r[3])];
      expect(hi).toBeGreaterThanOrEqual(Math.max(Number(r[1]), Number(r[4])));
      expect(lo).toBeLessThanOrEqual(Math.min(Number(r[1]), Number(r[4])));
    }
    expect((rows.at(-1)![0] as number)).toBeGreaterThan(Date.now() - 2 * MIN);
  });

  it("joins the seeded history to the live price: the last seeded close is the start price", async () => {
    const btc = sim.universe.find("BTCUSDT")!;
    const rows = await getJson<unknown[][]>(`${base}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=24`);
    expect(rows).toHaveLength(24);
    const last = Number(rows.at(-1)![4]);
    expect(Math.abs(last / btc.price - 1)).toBeLessThan(0.05);
  });

  it("pages with startTime and endTime, and serves 30 days of daily klines", async () => {
    const end = Date.now() - 10 * 24 * 3600_000;
    const page = await getJson<unknown[][]>(`${base}/api/v3/klines?symbol=ETHUSDT&interval=5m&endTime=${end}&limit=10`);
    expect(page).toHaveLength(10);
    expect(page.at(-1)![0] as number).toBeLessThanOrEqual(end);
    const fwd = await getJson<unknown[][]>(`${base}/api/v3/klines?symbol=ETHUSDT&interval=5m&startTime=${page[0]![0]}&limit=3`);
    expect(fwd.map((r) => r[0])).toEqual(page.slice(0, 3).map((r) => r[0]));
    const days = await getJson<unknown[][]>(`${base}/fapi/v1/klines?symbol=ETHUSDT&interval=1d&limit=40`);
    expect(days.length).toBeGreaterThanOrEqual(30);
    expect(days.length).toBeLessThanOrEqual(31);
  });

  it("answers bad parameters with Binance's error codes", async () => {
    expect(await get("/api/v3/klines?interval=1m")).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await get("/api/v3/klines?symbol=NOPEUSDT&interval=1m")).toMatchObject({ status: 400, body: { code: -1121 } });
    expect(await get("/api/v3/klines?symbol=BTCUSDT&interval=7m")).toMatchObject({ status: 400, body: { code: -1120 } });
    expect(await get("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=x")).toMatchObject({ status: 400, body: { code: -1100 } });
  });
});

describe("simulator candles (Coinbase /products/<id>/candles)", () => {
  it("returns at most 300 buckets newest first as [time, low, high, open, close, volume]", async () => {
    const end = new Date(Date.now()).toISOString();
    const start = new Date(Date.now() - 299 * MIN).toISOString();
    const rows = await getJson<number[][]>(`${base}/products/BTC-USD/candles?granularity=60&start=${start}&end=${end}`);
    expect(rows.length).toBeGreaterThanOrEqual(299);
    expect(rows[0]![0]).toBeGreaterThan(rows[1]![0]!);
    for (const [t, lo, hi, o, c, v] of rows) {
      expect(t! % 60).toBe(0);
      expect(lo).toBeLessThanOrEqual(Math.min(o!, c!));
      expect(hi).toBeGreaterThanOrEqual(Math.max(o!, c!));
      expect(v).toBeGreaterThan(0);
    }
  });

  it("rejects more than 300 buckets and unsupported granularities like Coinbase", async () => {
    const end = new Date().toISOString();
    const start = new Date(Date.now() - 400 * MIN).toISOString();
    const r = await get(`/products/BTC-USD/candles?granularity=60&start=${start}&end=${end}`);
    expect(r.status).toBe(400);
    expect((r.body as { message: string }).message).toMatch(/exceeds 300/);
    expect((await get("/products/BTC-USD/candles?granularity=120")).status).toBe(400);
    expect((await get("/products/NOPE-USD/candles?granularity=60")).status).toBe(404);
  });

  it("records live minutes after the seeded history from the market's ticks", async () => {
    const c = await Client.open(sim.urls.coinbaseWs);
    c.send({ type: "subscribe", product_ids: ["SOL-USD"], channels: ["ticker"] });
    await new Promise((r) => setTimeout(r, 1500));
    c.close();
    const rows = await getJson<number[][]>(`${base}/products/SOL-USD/candles?granularity=60`);
    // The seeded history ends before the start minute: a row at or after it was recorded live.
    expect(rows[0]![0]! * 1000).toBeGreaterThanOrEqual(startMinute);
  });
});
