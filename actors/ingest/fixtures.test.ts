import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OrderBook } from "./binance/book.ts";
import { BinanceDepthSnapshot } from "./binance/frames.ts";
import { numericSnapshot, parseBinance } from "./binance/normalise.ts";
import { parseCoinbase } from "./coinbase/normalise.ts";

const raw = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
const fx = (name: string) => JSON.parse(raw(name)) as Record<string, unknown>;
const combined = (stream: string, data: unknown) => JSON.stringify({ stream, data });
const RECV = 1_700_000_000_000;
const sym = (p: string) => `${p.slice(0, -4)}-${p.slice(-4)}`;

describe("documented venue examples (actors/ingest/fixtures)", () => {
  it("parses the USD-M futures diff-depth example with its pu, as market usdm", () => {
    const r = parseBinance("binance-usdm", combined("btcusdt@depth@100ms", fx("binance_usdm_diff_depth.json")), RECV, sym, "usdm");
    expect(r).toMatchObject({ kind: "depth", product: "BTCUSDT", event: { U: 157, u: 160, pu: 149, b: [[0.0024, 10]], a: [[0.0026, 100]] } });
    if (r.kind !== "depth") throw new Error("not depth");
    expect(r.delta).toMatchObject({ venue: "binance-usdm", market: "usdm", symbol: "BTC-USDT", firstUpdateId: 157, lastUpdateId: 160 });
  });

  it("parses the futures aggTrade and the spot trade examples as taker sells (m: the buyer made the market)", () => {
    const agg = parseBinance("binance-usdm", combined("btcusdt@aggTrade", fx("binance_usdm_agg_trade.json")), RECV, sym, "usdm");
    expect(agg).toMatchObject({ kind: "trade", trade: { venue: "binance-usdm", market: "usdm", symbol: "BTC-USDT", price: 0.001, size: 100, side: "sell", tradeId: "5933014", exchTs: 123456785, recvTs: RECV } });
    const spot = parseBinance("binance", combined("bnbbtc@trade", fx("binance_spot_trade.json")), RECV);
    expect(spot).toMatchObject({ kind: "trade", trade: { symbol: "BNB-BTC", market: "spot", side: "sell", tradeId: "12345", exchTs: 1672515782136 } });
  });

  it("parses the Coinbase match example with the taker's side (the opposite of the maker's)", () => {
    const r = parseCoinbase("coinbase", raw("coinbase_exchange_match.json"), RECV);
    expect(r).toMatchObject({ kind: "trade", product: "BTC-USD", trade: { venue: "coinbase", symbol: "BTC-USD", price: 400.23, size: 5.23512, side: "buy", tradeId: "10", exchTs: Date.parse("2014-11-07T08:19:27.028459Z") } });
  });

  it("reads the GET /fapi/v1/depth example as a snapshot", () => {
    const s = BinanceDepthSnapshot.parse(fx("binance_usdm_rest_depth.json"));
    expect(numericSnapshot(s)).toEqual({ lastUpdateId: 1027024, bids: [[4, 431]], asks: [[4.000002, 12]] });
  });

  it("applies futures events by the pu chain, where the spot rule would see a gap at every jump", () => {
    const ev = (U: number, u: number, pu: number, q: number) => ({ U, u, pu, b: [[100, q]] as Array<[number, number]>, a: [] });
    const fut = new OrderBook(100, "usdm");
    fut.onDiff(ev(157, 160, 149, 1));
    expect(fut.onSnapshot({ lastUpdateId: 158, bids: [[100, 5]], asks: [[101, 1]] })).toEqual({ type: "synced" });
    expect(fut.onDiff(ev(171, 180, 160, 2))).toEqual({ type: "applied" });
    expect(fut.onDiff(ev(190, 195, 180, 3))).toEqual({ type: "applied" });
    expect(fut.top(1).bids).toEqual([[100, 3]]);
    // A lost event: the next one's pu names it. Gap, back to buffering, never applied.
    expect(fut.onDiff(ev(210, 215, 200, 9))).toEqual({ type: "gap", expected: 195, got: 200 });
    expect(fut.state).toBe("buffering");
    const spot = new OrderBook(100, "spot");
    spot.onDiff(ev(157, 160, 149, 1));
    spot.onSnapshot({ lastUpdateId: 158, bids: [], asks: [] });
    expect(spot.onDiff(ev(171, 180, 160, 2)).type).toBe("gap");
  });

  it("starts a futures book from the event right after the snapshot (pu = lastUpdateId) and drops older ones", () => {
    const b = new OrderBook(100, "usdm");
    b.onDiff({ U: 90, u: 99, pu: 80, b: [[1, 1]], a: [] });
    b.onDiff({ U: 105, u: 110, pu: 100, b: [[1, 2]], a: [] });
    expect(b.onSnapshot({ lastUpdateId: 100, bids: [[1, 7]], asks: [] })).toEqual({ type: "synced" });
    expect(b.lastUpdateId).toBe(110);
    expect(b.top(1).bids).toEqual([[1, 2]]);
    // A snapshot older than the buffer (a hole between them) is refused.
    const c = new OrderBook(100, "usdm");
    c.onDiff({ U: 105, u: 110, pu: 100, b: [], a: [] });
    expect(c.onSnapshot({ lastUpdateId: 90, bids: [], asks: [] }).type).toBe("too-old");
  });

  it("rejects impossible values by reason: U > u, an infinite, negative or zero price, a negative quantity", () => {
    const depth = { ...fx("binance_usdm_diff_depth.json") };
    const bad = (data: unknown) => parseBinance("binance-usdm", combined("x@depth", data), RECV, sym, "usdm");
    expect(bad({ ...depth, U: 161 })).toMatchObject({ kind: "bad", error: "data.U: first update id 161 > final update id 160" });
    expect(bad({ ...depth, b: [["1e999", "1"]] })).toMatchObject({ kind: "bad", error: expect.stringContaining("data.b: price 1e999") });
    expect(bad({ ...depth, a: [["1", "-5"]] })).toMatchObject({ kind: "bad", error: expect.stringContaining("data.a: quantity -5") });
    expect(bad({ ...depth, b: [["1", "0"]] }).kind).toBe("depth"); // 0 removes the level
    const agg = fx("binance_usdm_agg_trade.json");
    expect(parseBinance("binance-usdm", combined("x@aggTrade", { ...agg, p: "-5" }), RECV).kind).toBe("bad");
    expect(parseBinance("binance-usdm", combined("x@aggTrade", { ...agg, q: "0" }), RECV).kind).toBe("bad");
    const match = fx("coinbase_exchange_match.json");
    expect(parseCoinbase("coinbase", JSON.stringify({ ...match, price: "0" }), RECV)).toMatchObject({ kind: "bad", error: expect.stringContaining("price: 0") });
    expect(parseCoinbase("coinbase", JSON.stringify({ ...match, time: "2014-13-45T99:19:27Z" }), RECV)).toMatchObject({ kind: "bad", error: expect.stringContaining("time") });
  });

  it("reports Binance's flat {code, msg} error as an upstream error, not a bad frame", () => {
    expect(parseBinance("binance", JSON.stringify({ code: -1121, msg: "Invalid symbol." }), RECV)).toEqual({ kind: "error", message: "-1121: Invalid symbol." });
  });

  it("recognises serverShutdown bare, wrapped in event (the documented example) and in a combined-stream envelope", () => {
    const ev = fx("binance_server_shutdown.json");
    expect(parseBinance("binance", JSON.stringify(ev), RECV)).toEqual({ kind: "shutdown" });
    expect(parseBinance("binance", JSON.stringify(ev.event), RECV)).toEqual({ kind: "shutdown" });
    expect(parseBinance("binance", combined("btcusdt@ticker", ev.event), RECV)).toEqual({ kind: "shutdown" });
  });
});
