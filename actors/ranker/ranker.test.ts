import { describe, expect, it } from "vitest";
import type { Tick } from "../../lib/contracts/messages.ts";
import { MarketsData, MoversData } from "../../lib/contracts/protocol.ts";
import { Ranker, Throttle } from "./ranker.ts";

const t = (symbol: string, price: number, exchTs: number, extra: Partial<Tick> = {}): Tick =>
  ({ venue: "coinbase", symbol, price, open24h: 100, volume24h: 10, exchTs, recvTs: exchTs, seq: exchTs, ...extra });

const rooms = (outs: Array<{ room: string }>) => outs.map((o) => o.room);

describe("Throttle", () => {
  it("is due when changed after the minimum interval, or after the maximum interval even unchanged", () => {
    const th = new Throttle(1000, 90_000);
    expect(th.due(0, "a")).toBe(true);
    th.mark(0, "a");
    expect(th.due(500, "b")).toBe(false);
    expect(th.due(1000, "a")).toBe(false);
    expect(th.due(1000, "b")).toBe(true);
    expect(th.due(89_999, "a")).toBe(false);
    expect(th.due(90_000, "a")).toBe(true);
  });
});

describe("Ranker", () => {
  it("publishes movers and topcoins at most once a second while they change, and only once live", () => {
    const r = new Ranker({ candlePartialMs: 0 });
    r.offerTick(t("A-USD", 105, 1000), 1000);
    expect(rooms(r.poll(1000, false))).toEqual([]);
    expect(rooms(r.poll(1000, true))).toEqual(["movers", "topcoins"]);
    r.offerTick(t("A-USD", 106, 1100), 1100);
    expect(rooms(r.poll(1500, true))).toEqual([]);
    expect(rooms(r.poll(2000, true))).toEqual(["movers", "topcoins"]);
    expect(rooms(r.poll(3000, true))).toEqual([]); // unchanged
    // At least every 90 s even unchanged (the wall clock also closes the window and minute by now).
    expect(rooms(r.poll(92_000, true)).filter((x) => x === "movers" || x === "topcoins")).toEqual(["movers", "topcoins"]);
  });

  it("publishes markets (CoinGecko names, ranks, caps, sparklines) when a snapshot came, once live, at most once a second", () => {
    const r = new Ranker({ candlePartialMs: 0 });
    const snap = (coin: string, symbol: string, rank: number, ts: number) =>
      ({ v: 1 as const, coin, symbol, name: coin, rank, price: 1, marketCap: 1e9 / rank, volume24h: 5, change24hPct: 1, spark24h: [1, 2, 3], ts, source: "coingecko" });
    expect(rooms(r.poll(0, true))).not.toContain("markets"); // nothing known yet
    r.offerMarket(snap("ethereum", "ETH", 2, 1));
    r.offerMarket(snap("bitcoin", "BTC", 1, 1));
    expect(rooms(r.poll(500, false))).toEqual([]);
    const out = r.poll(500, true).find((o) => o.room === "markets");
    const data = MarketsData.parse(out?.data);
    expect(data.coins.map((c) => [c.symbol, c.rank, c.name])).toEqual([["BTC", 1, "bitcoin"], ["ETH", 2, "ethereum"]]);
    expect(data.coins[0]).toMatchObject({ coin: "bitcoin", marketCap: 1e9, volume24h: 5, spark: [1, 2, 3] });
    r.offerMarket(snap("bitcoin", "BTC", 1, 2));
    expect(rooms(r.poll(1000, true))).not.toContain("markets");
    expect(rooms(r.poll(1500, true))).toContain("markets");
    expect(rooms(r.poll(3000, true))).not.toContain("markets"); // nothing new
  });

  it("counts a refresh as a publish for the throttle", () => {
    const r = new Ranker({ candlePartialMs: 0 });
    r.offerTick(t("A-USD", 105, 1000), 1000);
    const m = r.moversNow(1000);
    expect(MoversData.parse(m).gainers[0]).toEqual({ symbol: "A-USD", venue: "coinbase", price: 105, change24hPct: 5, volume24h: 10 });
    r.published("movers", m, 1000);
    expect(rooms(r.poll(5000, true))).toEqual(["topcoins"]);
  });

  it("emits an alert with the tick that raises it, and closed windows and minutes at the next poll", () => {
    const r = new Ranker({ latenessMs: 5000, candlePartialMs: 0, alertThresholdPct: 10 });
    r.offerTick(t("A-USD", 120, 1000), 1000);
    expect(rooms(r.drain())).toEqual(["alerts"]);
    r.offerTick(t("A-USD", 121, 66_000), 66_000); // watermark 61 000 closes [0, 30 s), [30 s, 60 s) and minute 0
    expect(rooms(r.poll(66_000, false))).toEqual(["pulse", "candles.A-USD.1m"]);
  });

  it("closes windows by the wall clock when ticks stop, once live", () => {
    const r = new Ranker({ latenessMs: 5000, idleMs: 5000, candlePartialMs: 0 });
    r.offerTick(t("A-USD", 101, 1000), 1000);
    expect(rooms(r.poll(100_000, false)).filter((x) => x !== "movers" && x !== "topcoins")).toEqual([]);
    expect(rooms(r.poll(100_000, true)).filter((x) => x !== "movers" && x !== "topcoins")).toEqual(["pulse", "candles.A-USD.1m"]);
  });

  it("sends in-progress candles of every timeframe at the partial interval when they changed", () => {
    const r = new Ranker({ candlePartialMs: 5000, minIntervalMs: 1e9, maxIntervalMs: 1e9 });
    r.offerTick(t("A-USD", 101, 1000), 1000);
    r.poll(1000, true); // first movers/topcoins publish (throttle starts at -Infinity)
    r.offerTick(t("A-USD", 102, 2000), 2000);
    expect(rooms(r.poll(3000, true))).toEqual([]);
    expect(r.poll(6000, true).map((o) => [o.room, (o.data as { final: boolean }).final])).toEqual([
      ["candles.A-USD.1m", false],
      ["candles.A-USD.5m", false],
      ["candles.A-USD.15m", false],
      ["candles.A-USD.1h", false],
      ["candles.A-USD.1d", false],
    ]);
  });
});
