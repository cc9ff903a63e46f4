import { describe, expect, it } from "vitest";
import { decode } from "../../lib/contracts/codec.ts";
import { TickBatch } from "../../lib/contracts/messages.ts";
import { decodeTickBatch } from "./fast-decode.ts";

const enc = new TextEncoder();
const tick = { venue: "coinbase", symbol: "BTC-USD", price: 1.5, exchTs: 10, recvTs: 11, seq: 3 };

const cases: Array<[string, unknown]> = [
  ["a minimal batch", { v: 1, ticks: [tick] }],
  ["all optional fields", { v: 1, ticks: [{ ...tick, bid: 1, ask: 2, bidSize: 3, askSize: 4, open24h: 5, high24h: 6, low24h: 0, volume24h: 7, lastSize: 0.1 }] }],
  ["an unknown extra field", { v: 1, ticks: [{ ...tick, extra: "x" }] }],
  ["an empty batch", { v: 1, ticks: [] }],
  ["another version", { v: 2, ticks: [tick] }],
  ["no ticks", { v: 1 }],
  ["a string price", { v: 1, ticks: [{ ...tick, price: "1.5" }] }],
  ["an empty symbol", { v: 1, ticks: [{ ...tick, symbol: "" }] }],
  ["a fractional exchTs", { v: 1, ticks: [{ ...tick, exchTs: 1.5 }] }],
  ["a negative seq", { v: 1, ticks: [{ ...tick, seq: -1 }] }],
  ["an unsafe integer recvTs", { v: 1, ticks: [{ ...tick, recvTs: 2 ** 60 }] }],
  ["a null bid", { v: 1, ticks: [{ ...tick, bid: null }] }],
  ["a tick that is an array", { v: 1, ticks: [[1, 2]] }],
  ["a missing venue", { v: 1, ticks: [{ ...tick, venue: undefined }] }],
  ["null", null],
  ["an array", [tick]],
];

describe("decodeTickBatch()", () => {
  for (const [what, value] of cases) {
    it(`agrees with the zod TickBatch schema on ${what}`, () => {
      const bytes = enc.encode(JSON.stringify(value));
      expect(decodeTickBatch(bytes).ok).toBe(decode(TickBatch, bytes).ok);
    });
  }

  it("reports invalid JSON instead of throwing", () => {
    const r = decodeTickBatch(enc.encode("{nope"));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/invalid JSON/);
  });
});
