import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FrameResult } from "../frame-result.ts";
import { parseAdvanced } from "./advanced.ts";
import { advancedSubscribe } from "./advanced-frames.ts";

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

  it("validates the level2 example (epoch event_time in the snapshot is allowed) and skips a bad level", () => {
    expect(batch(parseAdvanced("coinbase", raw("level2.json"), RECV)).items).toEqual([]);
    const j = JSON.parse(raw("level2.json"));
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
});
