import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BookDelta, Tick } from "../../lib/contracts/messages.ts";
import { parseCoinbase } from "./coinbase/normalise.ts";
import { CoinbaseFrame, CoinbaseSubscribe } from "./coinbase/frames.ts";
import { binanceSymbol, numericSnapshot, parseBinance, toBinanceProduct } from "./binance/normalise.ts";
import { BinanceDepthSnapshot, BinanceEvent, BinanceReply, BinanceRequest } from "./binance/frames.ts";
import { CoinGeckoMarket, CoinGeckoSimplePrice, degradedTick, marketSnapshot } from "./coingecko/frames.ts";
import { MarketSnapshot } from "../../lib/contracts/messages.ts";

const DIR = process.env.FIXTURES_DIR ?? join(import.meta.dirname, "..", "..", "..", "shared", "fixtures", "exchange");
const fixture = (name: string) => readFileSync(join(DIR, name), "utf8");
const RECV = 1_700_000_000_000;

describe("upstream fixtures", () => {
  it("every fixture file is covered by a schema", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
    const schemaOf: Record<string, { safeParse(x: unknown): { success: boolean } }> = {
      "binance_diff_depth_spot.json": BinanceEvent,
      "binance_kline.json": BinanceEvent,
      "binance_miniticker_24hr.json": BinanceEvent,
      "binance_rest_depth_snapshot.json": BinanceDepthSnapshot,
      "binance_subscribe_request.json": BinanceRequest,
      "binance_subscribe_response.json": BinanceReply,
      "binance_ticker_24hr.json": BinanceEvent,
      "binance_unsubscribe_request.json": BinanceRequest,
      "coinbase_exchange_heartbeat.json": CoinbaseFrame,
      "coinbase_exchange_l2update.json": CoinbaseFrame,
      "coinbase_exchange_subscribe.json": CoinbaseSubscribe,
      "coinbase_exchange_subscriptions.json": CoinbaseFrame,
      "coinbase_exchange_ticker.json": CoinbaseFrame,
      "coinbase_exchange_unsubscribe.json": CoinbaseSubscribe,
      "coingecko_coins_markets.json": { safeParse: (x) => ({ success: Array.isArray(x) && x.every((c) => CoinGeckoMarket.safeParse(c).success) }) },
      "coingecko_simple_price.json": CoinGeckoSimplePrice,
    };
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const schema = schemaOf[f];
      expect(schema, `no schema for ${f}`).toBeDefined();
      expect(schema!.safeParse(JSON.parse(fixture(f))).success, f).toBe(true);
    }
  });

  it("a Coinbase ticker becomes a Tick with every number carried over", () => {
    const r = parseCoinbase("coinbase", fixture("coinbase_exchange_ticker.json"), RECV);
    expect(r.kind).toBe("tick");
    if (r.kind !== "tick") return;
    expect(Tick.parse(r.tick)).toEqual(r.tick);
    expect(r.product).toBe("ETH-USD");
    expect(r.tick).toEqual({
      venue: "coinbase",
      symbol: "ETH-USD",
      price: 1285.22,
      bid: 1285.04,
      ask: 1285.27,
      bidSize: 0.46688654,
      askSize: 1.5663704,
      open24h: 1310.79,
      high24h: 1313.8,
      low24h: 1280.52,
      volume24h: 245532.79269678,
      lastSize: 11.4396987,
      exchTs: Date.UTC(2022, 9, 19, 23, 28, 22, 61),
      recvTs: RECV,
      seq: 37475248783,
    });
  });

  it("Coinbase heartbeats, subscriptions and l2updates are recognised without producing ticks", () => {
    expect(parseCoinbase("coinbase", fixture("coinbase_exchange_heartbeat.json"), RECV)).toEqual({ kind: "heartbeat", product: "BTC-USD", lastTradeId: 20 });
    const subs = parseCoinbase("coinbase", fixture("coinbase_exchange_subscriptions.json"), RECV);
    expect(subs.kind).toBe("ack");
    if (subs.kind === "ack") expect(subs.products?.sort()).toEqual(["ETH-BTC", "ETH-EUR", "ETH-USD"]);
    expect(parseCoinbase("coinbase", fixture("coinbase_exchange_l2update.json"), RECV).kind).toBe("ignored");
  });

  it("a Binance 24 h ticker becomes a Tick named BASE-QUOTE", () => {
    const raw = `{"stream":"bnbbtc@ticker","data":${fixture("binance_ticker_24hr.json")}}`;
    const r = parseBinance("binance", raw, RECV);
    expect(r.kind).toBe("tick");
    if (r.kind !== "tick") return;
    expect(Tick.parse(r.tick)).toEqual(r.tick);
    expect(r.product).toBe("BNBBTC");
    expect(r.tick).toEqual({
      venue: "binance",
      symbol: "BNB-BTC",
      price: 0.0025,
      bid: 0.0024,
      ask: 0.0026,
      bidSize: 10,
      askSize: 100,
      lastSize: 10,
      open24h: 0.001,
      high24h: 0.0025,
      low24h: 0.001,
      volume24h: 10000,
      exchTs: 1672515782136,
      recvTs: RECV,
      seq: 1672515782136 * 1000 + 150,
    });
  });

  it("a quote-only Binance ticker update (same last trade id, later event) is a new tick, the same frame again is not", () => {
    const data = JSON.parse(fixture("binance_ticker_24hr.json")) as Record<string, unknown>;
    const seqOf = (d: Record<string, unknown>) => {
      const r = parseBinance("binance", JSON.stringify({ stream: "bnbbtc@ticker", data: d }), RECV);
      return r.kind === "tick" ? r.tick.seq : NaN;
    };
    const first = seqOf(data);
    expect(seqOf({ ...data, E: (data.E as number) + 1000, b: "0.0023" })).toBeGreaterThan(first);
    expect(seqOf(data)).toBe(first);
  });

  it("a Binance mini ticker becomes a Tick sequenced by its event time", () => {
    const r = parseBinance("binance", `{"stream":"bnbbtc@miniTicker","data":${fixture("binance_miniticker_24hr.json")}}`, RECV);
    expect(r.kind).toBe("tick");
    if (r.kind !== "tick") return;
    expect(r.tick).toMatchObject({ symbol: "BNB-BTC", price: 0.0025, open24h: 0.001, high24h: 0.0025, low24h: 0.001, volume24h: 10000, seq: 1672515782136 });
  });

  it("a Binance diff-depth event becomes a BookDelta with numeric levels", () => {
    const r = parseBinance("binance", `{"stream":"bnbbtc@depth@100ms","data":${fixture("binance_diff_depth_spot.json")}}`, RECV);
    expect(r.kind).toBe("depth");
    if (r.kind !== "depth") return;
    expect(BookDelta.parse(r.delta)).toEqual(r.delta);
    expect(r.delta).toEqual({
      v: 1, venue: "binance", market: "spot", symbol: "BNB-BTC", ts: 1672515782136,
      firstUpdateId: 157, lastUpdateId: 160, bids: [[0.0024, 10]], asks: [[0.0026, 100]],
    });
  });

  it("the Binance REST depth snapshot parses to numbers", () => {
    expect(numericSnapshot(BinanceDepthSnapshot.parse(JSON.parse(fixture("binance_rest_depth_snapshot.json"))))).toEqual({
      lastUpdateId: 1027024, bids: [[4, 431]], asks: [[4.000002, 12]],
    });
  });

  it("Binance replies and klines are recognised, not counted as bad", () => {
    expect(parseBinance("binance", fixture("binance_subscribe_response.json"), RECV).kind).toBe("ack");
    expect(parseBinance("binance", `{"stream":"bnbbtc@kline_1m","data":${fixture("binance_kline.json")}}`, RECV).kind).toBe("ignored");
    expect(parseBinance("binance", `{"error":{"code":2,"msg":"Invalid request"},"id":1}`, RECV)).toEqual({ kind: "error", message: "2: Invalid request", id: 1 });
  });

  it("a CoinGecko market row becomes a MarketSnapshot and a degraded tick", () => {
    const [row] = JSON.parse(fixture("coingecko_coins_markets.json")) as unknown[];
    const c = CoinGeckoMarket.parse(row);
    const snap = marketSnapshot(c, RECV);
    expect(MarketSnapshot.parse(snap)).toEqual(snap);
    expect(snap).toEqual({
      v: 1, coin: "bitcoin", symbol: "BTC", name: "Bitcoin", rank: 1, price: 70187, marketCap: 1381651251183,
      volume24h: 20154184933, change24hPct: 3.12502, ts: Date.parse("2024-04-07T16:49:31.736Z"), source: "coingecko",
    });
    const t = degradedTick(c, "usd", RECV)!;
    expect(Tick.parse(t)).toEqual(t);
    expect(t).toMatchObject({ venue: "coingecko", symbol: "BTC-USD", price: 70187, high24h: 70215, low24h: 68060, open24h: 70187 - 2126.88 });
  });

  it("a CoinGecko row's sparkline_in_7d becomes spark24h: the last 24 hourly prices, nulls dropped", () => {
    const [row] = JSON.parse(fixture("coingecko_coins_markets.json")) as Record<string, unknown>[];
    const price = Array.from({ length: 168 }, (_, i) => 60000 + i + 0.123456);
    price[150] = null as unknown as number;
    const snap = marketSnapshot(CoinGeckoMarket.parse({ ...row, sparkline_in_7d: { price } }), RECV);
    expect(MarketSnapshot.parse(snap)).toEqual(snap);
    expect(snap.spark24h).toEqual(price.slice(-24).filter((x) => x !== null).map((x) => Number(x.toPrecision(6))));
    expect(snap.spark24h!.length).toBe(23);
    expect(marketSnapshot(CoinGeckoMarket.parse({ ...row, sparkline_in_7d: { price: [] } }), RECV)).not.toHaveProperty("spark24h");
    expect(CoinGeckoMarket.safeParse({ ...row, sparkline_in_7d: { price: ["x"] } }).success).toBe(false);
  });

  it("bad frames are reported as bad with a sample, never thrown", () => {
    for (const raw of ["", "{", "null", "[]", `{"type":"ticker"}`, `{"type":"ticker","sequence":1,"product_id":"X-Y","price":"abc"}`,
      `{"type":"ticker","sequence":1,"product_id":"X-Y","price":"0x10"}`, `{"type":"ticker","sequence":1,"product_id":"X-Y","price":"1","time":"yesterday"}`, "\u0000\u00ff"]) {
      const r = parseCoinbase("coinbase", raw, RECV);
      expect(r.kind, raw).toBe("bad");
    }
    for (const raw of ["", "{", `{"stream":"x","data":{"e":"24hrTicker"}}`, `{"stream":"x","data":{"e":"depthUpdate","E":1,"s":"A","U":1,"u":2,"b":[["x","1"]],"a":[]}}`]) {
      expect(parseBinance("binance", raw, RECV).kind, raw).toBe("bad");
    }
    const long = parseCoinbase("coinbase", "x".repeat(1000), RECV);
    expect(long.kind === "bad" && long.sample.length).toBeLessThan(300);
  });

  it("Binance symbols split on the quote asset and join back", () => {
    expect(binanceSymbol("BTCUSDT")).toBe("BTC-USDT");
    expect(binanceSymbol("ethbtc")).toBe("ETH-BTC");
    expect(binanceSymbol("BNBFDUSD")).toBe("BNB-FDUSD");
    expect(toBinanceProduct("BTC-USDT")).toBe("BTCUSDT");
  });
});
