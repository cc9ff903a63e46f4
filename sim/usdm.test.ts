import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client } from "./testkit.ts";

const fx = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "..", "actors", "ingest", "fixtures", name), "utf8")) as Record<string, unknown>;
const keys = (o: unknown) => Object.keys(o as object);
let sim: SimulatorHandle;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 4, symbols: 10, tickRate: 500 });
});
afterAll(async () => {
  await sim?.close();
});

interface Depth { e: string; U: number; u: number; pu: number; T: number; E: number }

describe("simulator as Binance USD-M futures (fstream / fapi)", () => {
  it("sends futures diff depth and aggTrade with the documented keys, in order, on a pu chain whose ids jump", async () => {
    const c = await Client.open(`${sim.urls.binanceUsdmWs}/stream?streams=btcusdt@depth@100ms/btcusdt@aggTrade`);
    try {
      const depth = (await c.waitFor<{ stream: string; data: Depth }>((m) => (m.data as Depth | undefined)?.e === "depthUpdate", 8)).map((m) => m.data);
      expect(keys(depth[0])).toEqual(keys(fx("binance_usdm_diff_depth.json")));
      for (let i = 1; i < depth.length; i++) {
        expect(depth[i]!.pu).toBe(depth[i - 1]!.u);
        expect(depth[i]!.U).toBeGreaterThan(depth[i]!.pu);
        expect(depth[i]!.U).toBeLessThanOrEqual(depth[i]!.u);
      }
      expect(depth.slice(1).some((d) => d.U !== d.pu + 1)).toBe(true);
      const [agg] = await c.waitFor<{ data: unknown }>((m) => (m.data as { e?: string } | undefined)?.e === "aggTrade");
      expect(keys(agg!.data)).toEqual(keys(fx("binance_usdm_agg_trade.json")));
    } finally {
      c.close();
    }
  });

  it("answers GET /fapi/v1/depth with the documented keys and the weight header, and refuses an undocumented limit", async () => {
    const res = await fetch(`${sim.urls.binanceUsdmRest}/fapi/v1/depth?symbol=BTCUSDT&limit=1000`);
    expect(res.status).toBe(200);
    expect(keys(await res.json())).toEqual(keys(fx("binance_usdm_rest_depth.json")));
    expect(Number(res.headers.get("x-mbx-used-weight-1m"))).toBeGreaterThanOrEqual(20);
    const bad = await fetch(`${sim.urls.binanceUsdmRest}/fapi/v1/depth?symbol=BTCUSDT&limit=7`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
  });

  it("lists perpetuals in /fapi/v1/exchangeInfo with baseAsset and quoteAsset", async () => {
    const info = (await (await fetch(`${sim.urls.binanceUsdmRest}/fapi/v1/exchangeInfo`)).json()) as { symbols: Array<Record<string, unknown>>; rateLimits: unknown[] };
    expect(info.symbols[0]).toMatchObject({ symbol: "BTCUSDT", contractType: "PERPETUAL", status: "TRADING", baseAsset: "BTC", quoteAsset: "USDT" });
    expect(info.rateLimits[0]).toMatchObject({ rateLimitType: "REQUEST_WEIGHT", limit: 2400 });
  });

  it("sends spot trades and Coinbase matches with the documented keys", async () => {
    const b = await Client.open(`${sim.urls.binanceWs}?streams=ethusdt@trade`);
    const cb = await Client.open(sim.urls.coinbaseWs);
    try {
      cb.send({ type: "subscribe", product_ids: ["ETH-USD"], channels: ["matches"] });
      const [t] = await b.waitFor<{ data: unknown }>((m) => (m.data as { e?: string } | undefined)?.e === "trade");
      expect(keys(t!.data)).toEqual(keys(fx("binance_spot_trade.json")));
      const [last] = await cb.waitFor((m) => m.type === "last_match");
      const [match] = await cb.waitFor((m) => m.type === "match");
      expect(keys(match)).toEqual(keys(fx("coinbase_exchange_match.json")));
      expect(keys(last)).toEqual(keys(match));
      expect(match!.trade_id).toBe((last!.trade_id as number) + 1);
    } finally {
      b.close();
      cb.close();
    }
  });

  it("bans a client that ignores Retry-After: 429, then 418 with Retry-After, counting requests during the ban", async () => {
    sim.faults({ force429: 1 });
    const url = `${sim.urls.binanceUsdmRest}/fapi/v1/depth?symbol=ETHUSDT&limit=5`;
    const r1 = await fetch(url);
    expect(r1.status).toBe(429);
    expect(r1.headers.get("retry-after")).toBe("1");
    const r2 = await fetch(url); // too early: banned
    expect(r2.status).toBe(418);
    expect(Number(r2.headers.get("retry-after"))).toBeGreaterThanOrEqual(60);
    expect((await fetch(url)).status).toBe(418);
    const w = (sim.stats() as { binanceWeight: { usdm: Record<string, number> } }).binanceWeight.usdm;
    expect(w).toMatchObject({ banned: 1, requestsBeforeRetryAfter: 1, requestsDuringBan: 1 });
  });
});
