import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FrameResult } from "../frame-result.ts";
import { parseAdvanced } from "./advanced.ts";
import { advancedChannels, advancedSubscribe } from "./advanced-frames.ts";
import { CoinbaseBooks, type L2Result } from "./books.ts";
import type { Publisher } from "../publisher.ts";
import { systemClock } from "../../runtime/mod.ts";

const DIR = join(import.meta.dirname, "../../../test/fixtures/coinbase-advanced");
const raw = (name: string) => readFileSync(join(DIR, name), "utf8");
const RECV = 1_700_000_000_000;
const batch = (r: FrameResult) => {
  if (r.kind !== "batch") throw new Error(`not a batch: ${JSON.stringify(r)}`);
  return r;
};

describe("Coinbase Advanced Trade frames (documented examples, test/fixtures/coinbase-advanced)", () => {
  it("parses the ticker example into a tick stamped with the envelope's time and a time-based sequence", () => {
    const r = batch(parseAdvanced("coinbase", raw("ticker.json"), RECV));
    const ts = Date.parse("2023-02-09T20:30:37.167Z");
    expect(r.connSeq).toBe(0);
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({
      kind: "tick", product: "BTC-USD",
      tick: { venue: "coinbase", symbol: "BTC-USD", price: 21932.98, bid: 21931.98, ask: 21933.98, bidSize: 8000.21, askSize: 8038.07770938, high24h: 23011.18, low24h: 21835.29, volume24h: 16038.28770938, exchTs: ts, recvTs: RECV, seq: ts * 1000 },
    });
    const tick = (r.items[0] as Extract<FrameResult, { kind: "tick" }>).tick;
    // open from the 24 h change: 21932.98 / (1 - 0.0415775596190603)
    expect(tick.open24h).toBeCloseTo(22884.46, 1);
  });

  it("parses the market_trades example: string trade id, upper-case maker side → the taker's side", () => {
    const r = batch(parseAdvanced("coinbase", raw("market_trades.json"), RECV));
    expect(r.items).toEqual([{
      kind: "trade", product: "ETH-USD",
      trade: { venue: "coinbase", market: "spot", symbol: "ETH-USD", price: 1260.01, size: 0.3, side: "sell", tradeId: "000000000", exchTs: Date.parse("2019-08-14T20:42:27.265Z"), recvTs: RECV },
    }]);
  });

  it("accepts the heartbeats example (counter as a string) and an integer counter, as a batch without items", () => {
    expect(batch(parseAdvanced("coinbase", raw("heartbeats.json"), RECV))).toEqual({ kind: "batch", connSeq: 0, items: [] });
    const j = JSON.parse(raw("heartbeats.json"));
    j.events[0].heartbeat_counter = 3049;
    j.sequence_num = 7;
    expect(batch(parseAdvanced("coinbase", JSON.stringify(j), RECV))).toEqual({ kind: "batch", connSeq: 7, items: [] });
  });

  it("parses the level2 example into a book snapshot (epoch event_time allowed), versioned by the envelope time in µs, and skips a bad level", () => {
    expect(batch(parseAdvanced("coinbase", raw("level2.json"), RECV)).items).toEqual([
      // timestamp 2023-02-09T20:32:50.714964855Z
      { kind: "l2", product: "BTC-USD", snapshot: true, bids: [[21921.73, 0.06317902], [21921.3, 0.02]], asks: [], us: Date.parse("2023-02-09T20:32:50Z") * 1000 + 714_964 },
    ]);
    const j = JSON.parse(raw("level2.json"));
    j.events[0].type = "update";
    j.events[0].updates[1] = { ...j.events[0].updates[1], side: "offer", new_quantity: "0" };
    expect(batch(parseAdvanced("coinbase", JSON.stringify(j), RECV)).items[0]).toMatchObject({ kind: "l2", snapshot: false, bids: [[21921.73, 0.06317902]], asks: [[21921.3, 0]] });
    j.events[0].updates[0].new_quantity = "-1";
    const r = batch(parseAdvanced("coinbase", JSON.stringify(j), RECV));
    expect(r.items[0]).toMatchObject({ kind: "bad", error: expect.stringContaining("new_quantity") });
  });

  it("reads the subscriptions reply as an ack listing every product per channel", () => {
    const r = batch(parseAdvanced("coinbase", raw("subscriptions.json"), RECV));
    expect(r.connSeq).toBe(1);
    expect(r.items).toEqual([{ kind: "ack", products: ["BTC-USD", "ETH-USD"], channels: { ticker: ["BTC-USD"], market_trades: ["BTC-USD", "ETH-USD"] } }]);
  });

  it("sends one message per channel, in the documented subscribe shape, with a jwt only when one is given", () => {
    const doc = JSON.parse(raw("subscribe.json")) as Record<string, unknown>;
    const [withJwt] = advancedSubscribe("subscribe", ["ETH-USD", "BTC-USD"], ["ticker"], () => "XYZ");
    expect(JSON.parse(withJwt!)).toEqual(doc);
    const msgs = advancedSubscribe("unsubscribe", ["BTC-USD"], ["ticker", "market_trades", "heartbeats"]).map((m) => JSON.parse(m));
    expect(msgs).toEqual(["ticker", "market_trades", "heartbeats"].map((channel) => ({ type: "unsubscribe", product_ids: ["BTC-USD"], channel })));
  });

  it("rejects bad values with a reason and still reports the frame's sequence_num", () => {
    const t = JSON.parse(raw("ticker.json"));
    for (const [price, why] of [["1e999", "price"], ["-5", "price"], ["0", "price"]] as const) {
      t.events[0].tickers[0].price = price;
      t.sequence_num = 9;
      const r = batch(parseAdvanced("coinbase", JSON.stringify(t), RECV));
      expect(r.connSeq).toBe(9);
      expect(r.items[0]).toMatchObject({ kind: "bad", error: expect.stringContaining(why) });
    }
    const m = JSON.parse(raw("market_trades.json"));
    m.events[0].trades[0].time = "2019-02-30T25:00:00Z";
    expect(batch(parseAdvanced("coinbase", JSON.stringify(m), RECV)).items[0]).toMatchObject({ kind: "bad", error: expect.stringContaining("time") });
    expect(parseAdvanced("coinbase", '{"channel":"ticker","events":[]}', RECV)).toMatchObject({ kind: "bad" });
    expect(parseAdvanced("coinbase", "{not json", RECV)).toMatchObject({ kind: "bad", error: expect.stringContaining("invalid JSON") });
    expect(parseAdvanced("coinbase", '{"type":"error","message":"Failed to subscribe","reason":"X is not a valid product"}', RECV))
      .toEqual({ kind: "error", message: "Failed to subscribe: X is not a valid product" });
  });

  it("subscribes level2 when books are on, one message per channel", () => {
    expect(advancedChannels(true, true)).toEqual(["ticker", "market_trades", "level2", "heartbeats"]);
    expect(advancedChannels(false, false)).toEqual(["ticker", "heartbeats"]);
  });
});

describe("CoinbaseBooks (level2 snapshot + updates)", () => {
  const l2 = (snapshot: boolean, bids: Array<[number, number]>, asks: Array<[number, number]>, us: number): L2Result => ({ kind: "l2", product: "BTC-USD", snapshot, bids, asks, us });
  const published: unknown[] = [];
  const publisher = { publish: async (subject: string, data: Uint8Array) => void published.push([subject, data.length]) } as unknown as Publisher;
  const books = () => {
    const b = new CoinbaseBooks({ venue: "coinbase", intervalMs: 1000, depth: 2, clock: systemClock, publisher, symbolOf: (p) => p });
    b.add("BTC-USD");
    return b;
  };

  it("drops updates until a snapshot, then sets each level's size (0 removes it)", () => {
    const b = books();
    b.onL2(l2(false, [[100, 1]], [], 1));
    expect(b.dropped).toBe(1);
    expect(b.get("BTC-USD")!.synced).toBe(false);
    b.onL2(l2(true, [[100, 2], [99, 3]], [[101, 4], [102, 5]], 2));
    b.onL2(l2(false, [[99, 0], [98, 6]], [[101, 7]], 3));
    expect(b.get("BTC-USD")!.top(10)).toEqual({ bids: [[100, 2], [98, 6]], asks: [[101, 7], [102, 5]] });
    expect(b.get("BTC-USD")!.version).toBe(3);
  });

  it("after a resync waits for a fresh snapshot, which replaces the whole book; publishes only synced books that moved", () => {
    const b = books();
    b.onL2(l2(true, [[100, 2]], [[101, 4]], 2));
    b.publishSnapshots();
    b.publishSnapshots();
    expect(published).toEqual([["md.book.coinbase.BTC-USD", expect.any(Number)]]);
    b.resync("BTC-USD");
    expect(b.resyncs).toBe(1);
    b.onL2(l2(false, [[100, 9]], [], 3));
    b.publishSnapshots();
    expect(published).toHaveLength(1);
    b.onL2(l2(true, [[90, 1]], [[91, 1]], 4));
    expect(b.get("BTC-USD")!.top(10)).toEqual({ bids: [[90, 1]], asks: [[91, 1]] });
  });
});
