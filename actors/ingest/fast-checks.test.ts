import { describe, expect, it } from "vitest";
import { binanceTickerOk, binanceTradeOk, coinbaseHeartbeatOk, coinbaseMatchOk, coinbaseTickerOk, isoMs } from "./fast-checks.ts";
import { CoinbaseHeartbeat, CoinbaseMatch, CoinbaseTicker } from "./coinbase/frames.ts";
import { BinanceAggTrade, BinanceTicker24h, BinanceTrade } from "./binance/frames.ts";
import { parseCoinbase } from "./coinbase/normalise.ts";
import { parseBinance } from "./binance/normalise.ts";

type Obj = Record<string, unknown>;

const cbTicker: Obj = {
  type: "ticker", sequence: 37475248783, product_id: "ETH-USD", price: "1285.22", open_24h: "1310.79", volume_24h: "245532.79269678",
  low_24h: "1280.52", high_24h: "1313.8", volume_30d: "9788783.60117027", best_bid: "1285.04", best_bid_size: "0.46688654",
  best_ask: "1285.27", best_ask_size: "1.56637040", side: "buy", time: "2022-10-19T23:28:22.061769Z", trade_id: 370843401, last_size: "11.4396987",
};
const cbMatch: Obj = {
  type: "match", trade_id: 10, sequence: 50, maker_order_id: "ac928c66-ca53-498f-9c13-a110027a60e8", taker_order_id: "132fb6ae-456b-4654-b4e0-d681ac05cea1",
  time: "2014-11-07T08:19:27.028459Z", product_id: "BTC-USD", size: "5.23512", price: "400.23", side: "sell",
};
const cbHeartbeat: Obj = { type: "heartbeat", sequence: 90, last_trade_id: 20, product_id: "BTC-USD", time: "2014-11-07T08:19:28.464459Z" };
const bnTicker: Obj = {
  e: "24hrTicker", E: 1672515782136, s: "BNBBTC", p: "0.0015", P: "250.00", w: "0.0018", x: "0.0009", c: "0.0025", Q: "10", b: "0.0024", B: "10",
  a: "0.0026", A: "100", o: "0.0010", h: "0.0025", l: "0.0010", v: "10000", q: "18", O: 0, C: 86400000, F: 0, L: 18150, n: 18151,
};
const bnTrade: Obj = { e: "trade", E: 1672515782136, s: "BNBBTC", t: 12345, p: "0.001", q: "100", T: 1672515782136, m: true, M: true };
const bnAgg: Obj = { e: "aggTrade", E: 1672515782136, s: "BNBBTC", a: 12345, p: "0.001", q: "100", f: 100, l: 105, T: 1672515782136, m: true, M: true };

/** Values a field may be mutated to: absent, wrong types, edge numbers and strings. */
const MUTANTS: unknown[] = [
  undefined, null, true, 0, -0, 1, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, "", "0", "-1", "1.5", ".5", "5.", "1e5", "1e-1234",
  "0x10", "abc", " 1", "1 ", "buy", "sell", "BUY", "2022-10-19T23:28:22.061769Z", "yesterday", [], ["1"], {}, { a: 1 },
];

const cases = [
  { name: "Coinbase ticker", base: cbTicker, fast: coinbaseTickerOk, schema: CoinbaseTicker },
  { name: "Coinbase match", base: cbMatch, fast: coinbaseMatchOk, schema: CoinbaseMatch },
  { name: "Coinbase heartbeat", base: cbHeartbeat, fast: coinbaseHeartbeatOk, schema: CoinbaseHeartbeat },
  { name: "Binance 24h ticker", base: bnTicker, fast: binanceTickerOk, schema: BinanceTicker24h },
  { name: "Binance trade", base: bnTrade, fast: binanceTradeOk, schema: BinanceTrade },
  { name: "Binance aggTrade", base: bnAgg, fast: binanceTradeOk, schema: BinanceAggTrade },
];

/** Every frame of `base` with one field set to each mutant, plus two fields at once for a sample. */
function* mutations(base: Obj): Generator<Obj> {
  const keys = Object.keys(base);
  for (const k of keys) {
    for (const v of MUTANTS) {
      const o = { ...base };
      if (v === undefined) delete o[k];
      else o[k] = v;
      yield o;
    }
  }
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let i = 0; i < 2000; i++) {
    const o = { ...base };
    for (let j = 0; j < 2; j++) o[keys[rnd(keys.length)]!] = MUTANTS[rnd(MUTANTS.length)];
    yield o;
  }
}

describe("fast frame checks", () => {
  for (const c of cases) {
    it(`${c.name}: accepts the documented frame, and never accepts what the zod schema rejects`, () => {
      expect(c.fast(c.base)).toBe(true);
      let accepted = 0;
      let rejected = 0;
      for (const o of mutations(c.base)) {
        const ok = c.fast(o);
        const zod = c.schema.safeParse(o).success;
        if (ok) expect(zod, JSON.stringify(o)).toBe(true);
        if (ok) accepted++;
        if (!zod) rejected++;
      }
      // The mutations cover both sides: some still valid (fast path taken), many invalid.
      expect(accepted).toBeGreaterThan(10);
      expect(rejected).toBeGreaterThan(50);
    });
  }

  it("a malformed frame is still bad with the zod schema's message; a valid one parses as before", () => {
    const raw = (o: Obj) => JSON.stringify(o);
    expect(parseCoinbase("coinbase", raw({ ...cbTicker, price: "abc" }), 1)).toMatchObject({ kind: "bad", error: "price: a decimal string" });
    expect(parseCoinbase("coinbase", raw({ ...cbTicker, sequence: -1 }), 1)).toMatchObject({ kind: "bad", error: expect.stringMatching(/^sequence: /) });
    expect(parseCoinbase("coinbase", raw({ ...cbMatch, side: "up" }), 1)).toMatchObject({ kind: "bad", error: expect.stringMatching(/^side: /) });
    expect(parseCoinbase("coinbase", raw({ ...cbMatch, price: "0" }), 1)).toMatchObject({ kind: "bad", error: "price: 0 is not a finite positive number" });
    expect(parseCoinbase("coinbase", raw(cbHeartbeat), 1)).toEqual({ kind: "heartbeat", product: "BTC-USD", lastTradeId: 20 });
    const envelope = (d: Obj) => JSON.stringify({ stream: "bnbbtc@x", data: d });
    expect(parseBinance("binance", envelope({ ...bnTicker, c: "x" }), 1)).toMatchObject({ kind: "bad", error: "data.c: a decimal string" });
    expect(parseBinance("binance", envelope({ ...bnTrade, q: "-1" }), 1)).toMatchObject({ kind: "bad", error: "data.q: size -1 is not a finite positive number" });
    expect(parseBinance("binance", envelope(bnAgg), 1)).toMatchObject({ kind: "trade", trade: { price: 0.001, size: 100, tradeId: "12345", side: "sell" } });
    const t = parseCoinbase("coinbase", raw(cbTicker), 1);
    expect(t).toMatchObject({ kind: "tick", tick: { price: 1285.22, exchTs: Date.parse("2022-10-19T23:28:22.061769Z"), seq: 37475248783 } });
  });

  it("isoMs is Date.parse, for venue times and for anything else", () => {
    const strings = [
      "2022-10-19T23:28:22.061769Z", "2022-10-19T23:28:22Z", "2022-10-19T23:28:22.1Z", "2022-10-19T23:28:22.12Z", "2022-10-19T23:28:22.123Z",
      "2022-10-19T23:28:22.1234Z", "2022-10-19T23:28:22.0617699Z", "2022-10-19T23:28:22.Z", "2022-10-19T23:28:60.1Z", "2022-10-19T23:60:00Z",
      "2022-10-19T24:00:00Z", "2022-10-19T24:00:01Z", "2022-02-30T10:00:00.5Z", "2022-13-01T10:00:00Z", "2022-10-19 23:28:22.061769Z",
      "2022-10-19T23:28:22.061769+01:00", "2022-10-19T23:28:2a.061769Z", "2022-10-19T23:28:22.06a769Z", "+2022-10-19T23:28:22Z", "x".repeat(27),
      "2022-10-19T23:28:22.061769z", "Wed, 19 Oct 2022 23:28:22 GMT", "", "yesterday",
    ];
    let seed = 1;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let i = 0; i < 5000; i++) {
      const iso = new Date(946684800000 + rnd(2 ** 31) * 1000 + rnd(1000)).toISOString();
      const digits = rnd(7);
      const frac = digits === 0 ? "" : "." + (iso.slice(20, 23) + String(rnd(1000)).padStart(3, "0")).slice(0, digits);
      strings.push(iso.slice(0, 19) + frac + "Z");
    }
    // In order and shuffled: the one-minute cache must not carry over between minutes.
    for (const s of [...strings, ...strings.reverse()]) expect(isoMs(s), s).toEqual(Date.parse(s));
  });
});
