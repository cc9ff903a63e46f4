import { describe, expect, it } from "vitest";
import type { Tick } from "../../lib/contracts/messages.ts";
import { PulseData } from "../../lib/contracts/protocol.ts";
import { PulseWindows } from "./pulse.ts";
import { Watermark } from "./watermark.ts";

const t = (symbol: string, price: number, exchTs: number, extra: Partial<Tick> = {}): Tick =>
  ({ venue: "coinbase", symbol, price, open24h: 100, exchTs, recvTs: exchTs, seq: exchTs, ...extra });

describe("PulseWindows", () => {
  it("aggregates a 30 s window per coin: average price and change, max volume, latest market cap", () => {
    const p = new PulseWindows();
    p.setMarketCap("BTC", 5e11);
    p.offer(t("BTC-USD", 102, 0, { volume24h: 10 }));
    p.offer(t("BTC-USDT", 104, 29_999, { volume24h: 30 }));
    p.offer(t("ETH-USD", 90, 15_000, { volume24h: 7 }));
    p.setMarketCap("BTC", 6e11);
    const [w, ...rest] = p.advance(30_000);
    expect(rest).toEqual([]);
    expect(PulseData.safeParse(w).success).toBe(true);
    expect(w).toEqual({
      windowStart: 0,
      windowEnd: 30_000,
      coins: [
        { symbol: "BTC", avgPrice: 103, avgChange24hPct: 3, maxVolume24h: 30, marketCap: 6e11, volatility: "Moving", trend: "Rising", ticks: 2 },
        { symbol: "ETH", avgPrice: 90, avgChange24hPct: -10, maxVolume24h: 7, marketCap: null, volatility: "High Volatility", trend: "Crashing", ticks: 1 },
      ],
    });
  });

  it("puts a tick at exactly 30 000 ms into the next window (start inclusive, end exclusive)", () => {
    const p = new PulseWindows();
    p.offer(t("BTC-USD", 100, 29_999));
    p.offer(t("BTC-USD", 200, 30_000));
    expect(p.advance(29_999)).toEqual([]); // the window ends at 30 000: not closed yet
    const closed = p.advance(30_000);
    expect(closed.map((w) => [w.windowStart, w.coins[0]!.avgPrice])).toEqual([[0, 100]]);
    expect(p.advance(60_000).map((w) => [w.windowStart, w.coins[0]!.avgPrice])).toEqual([[30_000, 200]]);
  });

  it("with a 5 s allowed lateness accepts a tick 5 s late and drops one for a closed window", () => {
    const wm = new Watermark({ latenessMs: 5000 });
    const p = new PulseWindows();
    const feed = (x: Tick) => {
      wm.observe(x.exchTs);
      const r = p.offer(x);
      return { r, closed: p.advance(wm.value()) };
    };
    expect(feed(t("BTC-USD", 100, 10_000)).r).toBe("ok");
    expect(feed(t("BTC-USD", 100, 34_999)).closed).toEqual([]); // watermark 29 999
    expect(feed(t("BTC-USD", 130, 29_000)).r).toBe("ok"); // late but within the lateness
    const at35 = feed(t("BTC-USD", 100, 35_000)); // watermark 30 000 closes [0, 30 000)
    expect(at35.closed.map((w) => [w.windowStart, w.coins[0]!.ticks, w.coins[0]!.avgPrice])).toEqual([[0, 2, 115]]);
    expect(feed(t("BTC-USD", 999, 29_500)).r).toBe("late");
    expect(p.late).toBe(1);
  });

  it("leaves out a coin whose ticks carry no 24 h change, and skips windows without rows", () => {
    const p = new PulseWindows();
    p.offer(t("XYZ-USD", 1, 1000, { open24h: undefined }));
    expect(p.advance(30_000)).toEqual([]);
  });

  it("treats windows before closeBefore() as closed", () => {
    const p = new PulseWindows();
    p.closeBefore(60_000);
    expect(p.offer(t("BTC-USD", 1, 59_999))).toBe("late");
    expect(p.offer(t("BTC-USD", 1, 60_000))).toBe("ok");
  });
});

describe("Watermark", () => {
  it("lags the latest exchange time by the allowed lateness, and follows the wall clock only when asked", () => {
    const w = new Watermark({ latenessMs: 5000, idleMs: 5000 });
    expect(w.value()).toBe(-Infinity);
    w.observe(100_000);
    w.observe(90_000);
    expect(w.value()).toBe(95_000);
    expect(w.value(101_000)).toBe(95_000);
    expect(w.value(200_000)).toBe(190_000);
  });
});
