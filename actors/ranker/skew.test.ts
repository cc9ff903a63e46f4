import { describe, expect, it } from "vitest";
import type { Tick } from "../../lib/contracts/messages.ts";
import type { CandleData, PulseData } from "../../lib/contracts/protocol.ts";
import { Ranker } from "./ranker.ts";
import { clampExchTs, Watermark } from "./watermark.ts";

const HOUR = 3_600_000;
const T0 = 1_700_000_040_000; // 40 s into a minute, 10 s into a 30 s window
const tick = (venue: string, symbol: string, price: number, exchTs: number, recvTs = exchTs): Tick =>
  ({ venue, symbol, price, open24h: 100, volume24h: 10, exchTs, recvTs, seq: recvTs });

/** Feed coinbase BTC-USD and binance ETH-USDT once a second for `secs`; `future` also sends a venue stamping 1 h ahead. */
function run(future: boolean, secs = 150) {
  const r = new Ranker({ latenessMs: 5000, idleMs: 5000, candlePartialMs: 0, maxSkewMs: 5000, minIntervalMs: 1e9, maxIntervalMs: 1e9 });
  const out: Array<{ room: string; data: unknown }> = [];
  for (let i = 0; i < secs; i++) {
    const now = T0 + i * 1000;
    r.offerTick(tick("coinbase", "BTC-USD", 100 + i, now), now);
    r.offerTick(tick("binance", "ETHUSDT", 200 + i, now), now);
    if (future && i === 3) r.offerTick(tick("kraken", "SOL-USD", 50, now + HOUR, now), now);
    out.push(...r.poll(now, true));
  }
  return { r, out };
}

const candlesOf = (out: Array<{ room: string; data: unknown }>, symbol: string) =>
  out.filter((o) => o.room === `candles.${symbol}.1m`).map((o) => o.data as CandleData).filter((c) => c.final);
const pulses = (out: Array<{ room: string; data: unknown }>) => out.filter((o) => o.room === "pulse").map((o) => o.data as PulseData);

describe("a venue whose clock runs ahead", () => {
  it("one venue 1 h in the future leaves the other venues' pulse windows and candles exactly as without it", () => {
    const clean = run(false);
    const skewed = run(true);
    expect(skewed.r.stats.future).toBe(1);
    expect(skewed.r.stats.late).toBe(0);
    expect(candlesOf(skewed.out, "BTC-USD").length).toBeGreaterThanOrEqual(2);
    expect(candlesOf(skewed.out, "BTC-USD")).toEqual(candlesOf(clean.out, "BTC-USD"));
    expect(candlesOf(skewed.out, "ETHUSDT")).toEqual(candlesOf(clean.out, "ETHUSDT"));
    const strip = (ps: PulseData[]) => ps.map((p) => ({ ...p, coins: p.coins.filter((c) => c.symbol !== "SOL") }));
    expect(pulses(skewed.out).length).toBeGreaterThanOrEqual(3);
    expect(strip(pulses(skewed.out))).toEqual(strip(pulses(clean.out)));
  });

  it("the future tick is counted and placed at its receive time: its candle is in the minute it arrived", () => {
    const { out } = run(true);
    const sol = candlesOf(out, "SOL-USD");
    expect(sol[0]!.start).toBe(Math.floor((T0 + 3000) / 60_000) * 60_000);
    expect(sol[0]!.close).toBe(50);
  });
});

describe("Watermark per venue", () => {
  it("follows the venue furthest behind, and a stamp beyond the skew is replaced by the receive time", () => {
    const w = new Watermark({ latenessMs: 1000 });
    w.observe(10_000, "a");
    w.observe(50_000, "b");
    expect(w.value()).toBe(9_000);
    w.observe(20_000, "a");
    expect(w.value()).toBe(19_000);
    expect(w.venues()).toEqual({ a: 20_000, b: 50_000 });
    expect(clampExchTs(10_000 + HOUR, 10_000, 5000)).toEqual({ ts: 10_000, corrected: true });
    expect(clampExchTs(14_000, 10_000, 5000)).toEqual({ ts: 14_000, corrected: false });
  });
});
