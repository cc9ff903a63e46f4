import { describe, expect, it } from "vitest";
import type { Tick, Trade } from "../../lib/contracts/messages.ts";
import { CandleData } from "../../lib/contracts/protocol.ts";
import { CandleBook, MINUTE } from "./candles.ts";

const t = (price: number, exchTs: number, extra: Partial<Tick> = {}): Tick =>
  ({ venue: "coinbase", symbol: "BTC-USD", price, exchTs, recvTs: exchTs, seq: exchTs, ...extra });

describe("CandleBook", () => {
  it("builds open, high, low, close and volume from trade sizes", () => {
    const b = new CandleBook();
    b.offer(t(100, 1_000, { lastSize: 0.5 }));
    b.offer(t(105, 20_000, { lastSize: 1 }));
    b.offer(t(95, 40_000, { lastSize: 0.25 }));
    b.offer(t(101, 59_999, { lastSize: 2 }));
    const [c, ...rest] = b.advance(MINUTE);
    expect(rest).toEqual([]);
    expect(c).toEqual({ symbol: "BTC-USD", start: 0, open: 100, high: 105, low: 95, close: 101, volume: 3.75, trades: 4, empty: false, final: true, tf: "1m", source: "ticker" });
    expect(CandleData.safeParse(c).success).toBe(true);
  });

  it("orders open and close by exchange time when ticks arrive out of order", () => {
    const b = new CandleBook();
    b.offer(t(102, 30_000));
    b.offer(t(100, 10_000)); // earlier: becomes the open
    b.offer(t(101, 20_000)); // neither first nor last
    expect(b.advance(MINUTE)[0]).toMatchObject({ open: 100, close: 102, high: 102, low: 100, trades: 3 });
  });

  it("takes volume from positive 24 h volume deltas when there is no trade size", () => {
    const b = new CandleBook();
    b.offer(t(100, 1_000, { volume24h: 1000 })); // first: no delta
    b.offer(t(100, 2_000, { volume24h: 1003 })); // +3
    b.offer(t(100, 3_000, { volume24h: 1001 })); // falls: ignored
    b.offer(t(100, 4_000, { volume24h: 1002.5 })); // +1.5
    expect(b.advance(MINUTE)[0]!.volume).toBe(4.5);
  });

  it("marks a minute without trades as empty with null prices instead of inventing one", () => {
    const b = new CandleBook();
    b.offer(t(100, 1_000));
    b.offer(t(110, 2 * MINUTE + 5_000));
    const out = b.advance(3 * MINUTE);
    expect(out.map((c) => [c.start, c.empty, c.open, c.close, c.volume, c.trades])).toEqual([
      [0, false, 100, 100, 0, 1],
      [MINUTE, true, null, null, 0, 0],
      [2 * MINUTE, false, 110, 110, 0, 1],
    ]);
    expect(CandleData.safeParse(out[1]).success).toBe(true);
  });

  it("does not close a minute before the watermark passes its end, and drops ticks for a closed one", () => {
    const b = new CandleBook();
    b.offer(t(100, 59_000));
    expect(b.advance(MINUTE - 1)).toEqual([]);
    expect(b.advance(MINUTE)).toHaveLength(1);
    expect(b.offer(t(100, 59_500))).toBe("late");
    expect(b.late).toBe(1);
  });

  it("leaves degraded CoinGecko prices out of candles", () => {
    const b = new CandleBook();
    expect(b.offer(t(100, 1_000, { venue: "coingecko" }))).toBe("ignored");
    expect(b.advance(MINUTE)).toEqual([]);
  });

  it("does not re-emit minutes already published before a restart", () => {
    const b = new CandleBook({ closedUpTo: 0 });
    b.restore("BTC-USD", MINUTE);
    b.offer(t(100, MINUTE + 1)); // replayed tick of an already published minute
    b.offer(t(100, 2 * MINUTE + 1));
    expect(b.advance(3 * MINUTE).map((c) => c.start)).toEqual([2 * MINUTE]);
  });

  it("gives in-progress candles once per change", () => {
    const b = new CandleBook();
    b.offer(t(100, 1_000));
    expect(b.partials().map((c) => [c.final, c.close])).toEqual([[false, 100]]);
    expect(b.partials()).toEqual([]);
    b.offer(t(101, 2_000));
    expect(b.partials().map((c) => c.close)).toEqual([101]);
  });

  it("builds candles from trades once the venue sends them, and stops counting that pair's ticks", () => {
    const b = new CandleBook();
    const tr = (price: number, size: number, exchTs: number): Trade =>
      ({ venue: "coinbase", market: "spot", symbol: "BTC-USD", price, size, side: "buy", tradeId: String(exchTs), exchTs, recvTs: exchTs });
    b.offer(t(100, 1_000, { lastSize: 9 }));
    b.offerTrade(tr(101, 0.5, 2_000));
    expect(b.offer(t(200, 3_000, { lastSize: 9 }))).toBe("ignored");
    b.offerTrade(tr(99, 0.25, 4_000));
    const [c] = b.advance(MINUTE);
    expect(c).toMatchObject({ open: 100, high: 101, low: 99, close: 99, volume: 9.75, trades: 3, source: "trades" });
    b.offer(t(300, MINUTE + 1_000));
    b.offerTrade(tr(102, 1, MINUTE + 2_000));
    expect(b.advance(2 * MINUTE)[0]).toMatchObject({ open: 102, high: 102, close: 102, volume: 1, trades: 1, source: "trades" });
  });

  it("aggregates a longer timeframe on its own period boundaries", () => {
    const H = 3_600_000;
    const b = new CandleBook({ intervalMs: H, tf: "1h" });
    b.offer(t(100, 10 * MINUTE, { lastSize: 1 }));
    b.offer(t(120, 30 * MINUTE, { lastSize: 1 }));
    b.offer(t(90, 59 * MINUTE, { lastSize: 1 }));
    expect(b.advance(59 * MINUTE + 59_000)).toEqual([]);
    b.offer(t(95, 2 * H + 1, { lastSize: 1 }));
    const out = b.advance(3 * H);
    expect(out.map((c) => [c.tf, c.start, c.open, c.high, c.low, c.close, c.empty])).toEqual([
      ["1h", 0, 100, 120, 90, 90, false],
      ["1h", H, null, null, null, null, true],
      ["1h", 2 * H, 95, 95, 95, 95, false],
    ]);
  });

  it("marks candles of a period when the venue's feed was down, so a gap reads as missing data", () => {
    const b = new CandleBook();
    b.offer(t(100, 1_000));
    b.feed("coinbase", true, MINUTE + 10_000);
    b.feed("coinbase", false, 2 * MINUTE + 30_000);
    b.offer(t(101, 2 * MINUTE + 40_000));
    b.offer(t(102, 3 * MINUTE + 1_000));
    const out = b.advance(4 * MINUTE);
    expect(out.map((c) => [c.start / MINUTE, c.empty, c.down ?? false])).toEqual([
      [0, false, false],
      [1, true, true],
      [2, false, true],
      [3, false, false],
    ]);
    expect(out.every((c) => CandleData.safeParse(c).success)).toBe(true);
  });
});
