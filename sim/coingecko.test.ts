import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { fixture } from "./testkit.ts";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3, symbols: 300, tickRate: 10, coingeckoRpm: 1000 });
});
afterAll(async () => {
  await sim.close();
});

const typeOf = (x: unknown) => (x === null ? "null" : typeof x);

describe("CoinGecko REST", () => {
  it("serves /coins/markets rows with the fixture's keys and value types, ranked by market cap", async () => {
    const r = await fetch(`${sim.urls.coingecko}/coins/markets?vs_currency=usd&per_page=250&page=1`);
    expect(r.status).toBe(200);
    const rows = (await r.json()) as Record<string, unknown>[];
    expect(rows.length).toBe(250);
    const want = fixture<Record<string, unknown>[]>("coingecko_coins_markets.json")[0]!;
    expect(Object.keys(rows[0]!)).toEqual(Object.keys(want));
    for (const [k, v] of Object.entries(want)) {
      if (k === "max_supply") continue; // null for coins without a cap
      expect(typeOf(rows[0]![k]), k).toBe(typeOf(v));
    }
    expect(rows.map((x) => x.market_cap_rank)).toEqual(rows.map((_, i) => i + 1));
    expect(rows[0]!.id).toBe("bitcoin");
    const page2 = (await (await fetch(`${sim.urls.coingecko}/coins/markets?vs_currency=usd&per_page=250&page=2`)).json()) as unknown[];
    expect(page2.length).toBe(50);
    expect(new Set([...rows, ...(page2 as typeof rows)].map((x) => x.id)).size).toBe(300);
  });

  it("adds sparkline_in_7d (168 hourly prices, the klines' hourly closes) and the _in_currency change when asked", async () => {
    const q = "vs_currency=usd&ids=bitcoin&sparkline=true&price_change_percentage=24h";
    const [row] = (await (await fetch(`${sim.urls.coingecko}/coins/markets?${q}`)).json()) as Record<string, unknown>[];
    const keys = Object.keys(row!);
    expect(keys.slice(-2)).toEqual(["sparkline_in_7d", "price_change_percentage_24h_in_currency"]);
    expect(row!.price_change_percentage_24h_in_currency).toBe(row!.price_change_percentage_24h);
    const spark = (row!.sparkline_in_7d as { price: number[] }).price;
    expect(spark.length).toBe(168);
    for (const x of spark) expect(x).toBeGreaterThan(0);
    // The same history as Binance's 1h klines: every closed hour's close is a sparkline point.
    const klines = (await (await fetch(`${sim.urls.binanceRest}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=168`)).json()) as string[][];
    const closes = klines.map((k) => Number(k[4]));
    expect(closes.length).toBe(168);
    expect(spark.slice(0, 160)).toEqual(closes.slice(0, 160).map((x) => Number(x.toPrecision(10))));
    const plain = (await (await fetch(`${sim.urls.coingecko}/coins/markets?vs_currency=usd&ids=bitcoin`)).json()) as Record<string, unknown>[];
    expect(plain[0]).not.toHaveProperty("sparkline_in_7d");
  });

  it("serves /simple/price with the fixture's keys when every include flag is on", async () => {
    const q = "ids=bitcoin,ethereum,nope&vs_currencies=usd&include_market_cap=true&include_24hr_vol=true&include_24hr_change=true&include_last_updated_at=true";
    const body = (await (await fetch(`${sim.urls.coingecko}/simple/price?${q}`)).json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(body)).toEqual(["bitcoin", "ethereum"]);
    expect(Object.keys(body.bitcoin!)).toEqual(Object.keys(fixture("coingecko_simple_price.json").bitcoin as object));
    for (const v of Object.values(body.bitcoin!)) expect(typeof v).toBe("number");
  });

  it("answers bad parameters with 400", async () => {
    expect((await fetch(`${sim.urls.coingecko}/coins/markets`)).status).toBe(400);
    expect((await fetch(`${sim.urls.coingecko}/coins/markets?vs_currency=usd&per_page=999`)).status).toBe(400);
    expect((await fetch(`${sim.urls.coingecko}/simple/price?vs_currencies=usd`)).status).toBe(400);
  });
});

describe("CoinGecko rate limit", () => {
  it("answers 429 over the per-minute limit, alternately with Retry-After + JSON and with bare HTML", async () => {
    const limited = await startSimulator({ port: 0, seed: 3, symbols: 20, tickRate: 10, coingeckoRpm: 3 });
    try {
      const url = `${limited.urls.coingecko}/simple/price?ids=bitcoin&vs_currencies=usd`;
      for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);
      const first = await fetch(url);
      expect(first.status).toBe(429);
      expect(Number(first.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(first.headers.get("content-type")).toContain("application/json");
      expect(((await first.json()) as { status: { error_code: number } }).status.error_code).toBe(429);
      const second = await fetch(url);
      expect(second.status).toBe(429);
      expect(second.headers.get("retry-after")).toBeNull();
      expect(second.headers.get("content-type")).toContain("text/html");
      expect(await second.text()).toMatch(/<html/i);
      const stats = limited.stats() as { venues: { coingecko: { restThrottled: number } } };
      expect(stats.venues.coingecko.restThrottled).toBe(2);
    } finally {
      await limited.close();
    }
  });
});
