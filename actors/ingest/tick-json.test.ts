import { describe, expect, it } from "vitest";
import { encode, decode } from "../../lib/contracts/codec.ts";
import { TickBatch, type Tick } from "../../lib/contracts/messages.ts";
import { encodeTickBatch, type TickDecimals } from "./tick-json.ts";
import { parseCoinbase } from "./coinbase/normalise.ts";
import { parseBinance } from "./binance/normalise.ts";

const td = new TextDecoder();
/** Decimal texts the venues' pattern admits, JSON numbers or not. */
const DECIMALS = [
  "1285.22", "1.50", "0.00000000", "0", "-0", "007", "00.5", ".5", "5.", "1e5", "1E5", "1e+5", "1.5e-7", "-3.25", "1e400", "-1e400",
  "123456789012345678901234567890", "0.1", "0.30000000000000004", "9007199254740993", "1e-400", "2.5E+3",
];

const ticker = (price: string, bid: string, size: string) =>
  `{"type":"ticker","sequence":5,"product_id":"BTC-USD","price":"${price}","best_bid":"${bid}","best_bid_size":"${size}","volume_24h":"${size}","time":"2022-10-19T23:28:22.061769Z"}`;

describe("TickBatch with decimals as received", () => {
  it("decodes to exactly what JSON.stringify of the same ticks decodes to, for every decimal text", () => {
    const ticks: Tick[] = [];
    const decs: Array<TickDecimals | undefined> = [];
    for (const p of DECIMALS) {
      for (const b of DECIMALS) {
        const r = parseCoinbase("coinbase", ticker(p, b, DECIMALS[(p.length + b.length) % DECIMALS.length]!), 1_700_000_000_000);
        if (r.kind !== "tick") continue;
        ticks.push(r.tick);
        decs.push(r.dec);
      }
    }
    expect(ticks.length).toBeGreaterThan(100);
    const ours = encodeTickBatch(ticks, decs);
    const plain = encode({ v: 1, ticks });
    expect(JSON.parse(td.decode(ours))).toEqual(JSON.parse(td.decode(plain)));
    // Same keys in the same order, tick by tick (key order is what JSON.stringify gives).
    const a = JSON.parse(td.decode(ours)) as { ticks: object[] };
    const b = JSON.parse(td.decode(plain)) as { ticks: object[] };
    a.ticks.forEach((t, i) => expect(Object.keys(t)).toEqual(Object.keys(b.ticks[i]!)));
    // Received text is kept where JSON allows it.
    expect(td.decode(ours)).toContain('"bid":1.50,');
    expect(td.decode(ours)).not.toMatch(/:(007|00\.5|\.5|5\.|-0)[,}]/);
  });

  it("a Binance ticker and a tick without decimals encode the same way; the batch passes the bus schema", () => {
    const raw = `{"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":1672515782136,"s":"BTCUSDT","c":"16500.10","Q":"0.010","b":"16500.00","B":"1.5","a":"16500.20","A":"2","o":"16000","h":"16600.5","l":"15900.25","v":"12000.000","L":18150}}`;
    const r = parseBinance("binance", raw, 1_672_515_782_200);
    if (r.kind !== "tick") throw new Error(r.kind);
    const plainTick: Tick = { venue: "coingecko", symbol: "BTC-USD", price: 0.1 + 0.2, exchTs: 1, recvTs: 2, seq: 3 };
    const ours = encodeTickBatch([r.tick, plainTick], [r.dec, undefined]);
    expect(JSON.parse(td.decode(ours))).toEqual(JSON.parse(td.decode(encode({ v: 1, ticks: [r.tick, plainTick] }))));
    const back = decode(TickBatch, ours);
    expect(back.ok && back.value.ticks[0]).toEqual(r.tick);
    expect(td.decode(ours)).toContain('"price":16500.10,');
  });
});
