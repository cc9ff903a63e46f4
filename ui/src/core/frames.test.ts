import { describe, expect, it } from "vitest";
import { encodeRoomUpdate } from "../../../lib/contracts/rooms.ts";
import { FrameError, parseServerFrame, tickersOf, withArrays } from "./frames.ts";

describe("parseServerFrame", () => {
  it("accepts a room update in the exact bytes producers emit", () => {
    const f = parseServerFrame(encodeRoomUpdate("ticker.BTC-USD", 7, 1000, { symbol: "BTC-USD", price: 1, venue: "x", exchTs: 1 }));
    expect(f).toMatchObject({ type: "update", room: "ticker.BTC-USD", seq: 7, ts: 1000 });
  });

  it("accepts hello, resync, error and pong frames", () => {
    expect(parseServerFrame('{"type":"hello","server":"e1","limits":{}}').type).toBe("hello");
    expect(parseServerFrame('{"type":"resync","room":"alerts","reason":"gap"}').type).toBe("resync");
    expect(parseServerFrame('{"type":"error","code":"bad_json","message":"x"}').type).toBe("error");
    expect(parseServerFrame('{"type":"pong","id":3}').type).toBe("pong");
  });

  it("throws a FrameError for bad JSON, unknown types and missing fields", () => {
    expect(() => parseServerFrame("{nope")).toThrow(FrameError);
    expect(() => parseServerFrame('{"type":"gossip"}')).toThrow(/unknown frame type/);
    expect(() => parseServerFrame('{"type":"update","room":"movers","seq":"1","ts":1,"data":{}}')).toThrow(/needs room, seq/);
    expect(() => parseServerFrame("[1,2]")).toThrow(/not an object/);
  });
});

describe("payload helpers", () => {
  it("tickersOf() keeps well-formed tickers and skips broken ones", () => {
    const list = tickersOf({ tickers: [{ symbol: "A-USD", price: 1, venue: "v", exchTs: 1 }, { symbol: "B-USD", price: "2" }, null] });
    expect(list.map((t) => t.symbol)).toEqual(["A-USD"]);
    expect(tickersOf("nope")).toEqual([]);
  });

  it("withArrays() accepts only objects whose named keys are arrays", () => {
    expect(withArrays({ gainers: [], losers: [] }, "gainers", "losers")).toBeDefined();
    expect(withArrays({ gainers: [] }, "gainers", "losers")).toBeUndefined();
  });
});
