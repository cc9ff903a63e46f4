import { describe, expect, it } from "vitest";
import { FakeClock } from "../runtime/mod.ts";
import { ShardFreshness } from "./freshness.ts";

const owned = (m: Record<string, string[]>) => new Map(Object.entries(m));

describe("ShardFreshness", () => {
  it("is fresh while every venue it owns products of sends frames", () => {
    const clock = new FakeClock(0);
    const f = new ShardFreshness(clock, 10_000);
    f.report(owned({ coinbase: ["BTC-USD"], binance: ["BTCUSDT"] }), undefined);
    for (let i = 0; i < 30; i++) {
      clock.advance(1_000);
      f.frame("coinbase");
      f.frame("binance");
      f.tick("coinbase", "BTC-USD");
      f.tick("binance", "BTCUSDT");
    }
    const r = f.report(owned({ coinbase: ["BTC-USD"], binance: ["BTCUSDT"] }), clock.now());
    expect(r.stale).toBe(false);
    expect(r.ages).toMatchObject({ "in:coinbase": 0, "in:binance": 0, out: 0 });
  });

  it("is stale, naming the venue, once a venue with owned products sent no frame for STALE_MS", () => {
    const clock = new FakeClock(0);
    const f = new ShardFreshness(clock, 10_000);
    const own = owned({ coinbase: ["BTC-USD"], binance: ["BTCUSDT"] });
    f.frame("coinbase");
    f.frame("binance");
    f.report(own, 0);
    clock.advance(8_000);
    f.frame("binance");
    clock.advance(3_000);
    const r = f.report(own, clock.now());
    expect(r.stale).toBe(true);
    expect(r.reasons).toEqual([expect.stringMatching(/^in:coinbase no data for 11 s/)]);
  });

  it("does not count a venue it owns nothing of", () => {
    const clock = new FakeClock(0);
    const f = new ShardFreshness(clock, 1_000);
    f.frame("coinbase");
    clock.advance(60_000);
    expect(f.report(owned({ coinbase: [] }), undefined).stale).toBe(false);
  });

  it("lists products without a tick for STALE_MS while their venue is alive, without marking the shard stale", () => {
    const clock = new FakeClock(0);
    const f = new ShardFreshness(clock, 5_000);
    const own = owned({ coinbase: ["BTC-USD", "QUIET-USD"] });
    f.report(own, undefined); // both owned from now
    for (let i = 0; i < 6; i++) {
      clock.advance(1_000);
      f.frame("coinbase");
      f.tick("coinbase", "BTC-USD");
    }
    const r = f.report(own, clock.now());
    expect(r.stale).toBe(false);
    expect(r.staleProducts).toEqual({ count: 1, first: ["coinbase:QUIET-USD"] });
  });
});
