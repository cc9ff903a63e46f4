import { describe, expect, it } from "vitest";
import type { Tick } from "../../lib/contracts/messages.ts";
import { AlertData } from "../../lib/contracts/protocol.ts";
import { AlertDetector } from "./alerts.ts";

const t = (price: number, exchTs: number, symbol = "A-USD", venue = "coinbase"): Tick => ({ venue, symbol, price, open24h: 100, exchTs, recvTs: exchTs, seq: exchTs });

describe("AlertDetector", () => {
  it("alerts once when the 24 h change enters the extreme zone, not on every tick in it", () => {
    const d = new AlertDetector({ thresholdPct: 10, cooldownMs: 60_000 });
    expect(d.offer(t(105, 1))).toBeUndefined();
    const a = d.offer(t(110, 2));
    expect(a).toMatchObject({ symbol: "A-USD", kind: "surge", change24hPct: 10, price: 110, at: 2 });
    expect(AlertData.safeParse(a).success).toBe(true);
    for (let i = 3; i < 100; i++) expect(d.offer(t(111 + (i % 3), i))).toBeUndefined();
  });

  it("does not alert again while the change hovers just under the threshold (hysteresis)", () => {
    const d = new AlertDetector({ thresholdPct: 10, cooldownMs: 0 });
    expect(d.offer(t(110, 1))).toBeDefined();
    expect(d.offer(t(109.5, 2))).toBeUndefined();
    expect(d.offer(t(110.5, 3))).toBeUndefined();
  });

  it("re-arms after leaving the zone, but only after the cool-down", () => {
    const d = new AlertDetector({ thresholdPct: 10, cooldownMs: 60_000 });
    expect(d.offer(t(110, 0))).toBeDefined();
    expect(d.offer(t(100, 1000))).toBeUndefined();
    expect(d.offer(t(112, 2000))).toBeUndefined(); // within cool-down
    expect(d.offer(t(100, 61_000))).toBeUndefined();
    expect(d.offer(t(112, 62_000))?.kind).toBe("surge");
  });

  it("alerts plunges separately from surges and per symbol", () => {
    const d = new AlertDetector({ thresholdPct: 10, cooldownMs: 60_000 });
    expect(d.offer(t(90, 1))?.kind).toBe("plunge");
    expect(d.offer(t(90, 1, "B-USD"))?.kind).toBe("plunge");
    expect(d.offer(t(115, 2))?.kind).toBe("surge");
  });

  it("alerts once per coin and kind across venues, naming the venue that crossed first", () => {
    const d = new AlertDetector({ thresholdPct: 10, cooldownMs: 60_000 });
    const a = d.offer(t(111, 1, "BTC-USD", "coinbase"));
    expect(a).toMatchObject({ symbol: "BTC-USD", venue: "coinbase", kind: "surge" });
    expect(a!.message).toBe("BTC surged +11.00% in 24 h on coinbase (threshold 10%)");
    expect(d.offer(t(112, 2, "BTC-USDT", "binance"))).toBeUndefined();
    // One pair leaving the zone while the other stays in it does not re-arm the coin,
    // even after the cool-down.
    expect(d.offer(t(100, 3, "BTC-USD"))).toBeUndefined();
    expect(d.offer(t(112, 70_000, "BTC-USD"))).toBeUndefined();
    // Both out, cool-down over: the next entry alerts again, from whichever venue crosses.
    expect(d.offer(t(100, 80_000, "BTC-USD"))).toBeUndefined();
    expect(d.offer(t(100, 80_001, "BTC-USDT", "binance"))).toBeUndefined();
    expect(d.offer(t(113, 150_000, "BTC-USDT", "binance"))).toMatchObject({ venue: "binance", symbol: "BTC-USDT" });
  });

  it("keeps the cool-down of alerts restored after a restart", () => {
    const d = new AlertDetector({ thresholdPct: 10, cooldownMs: 60_000 });
    d.restore({ symbol: "A-USD", kind: "surge", at: 0 });
    expect(d.offer(t(120, 1000))).toBeUndefined();
  });

  it("ignores ticks without open24h and rejects a zero threshold", () => {
    const d = new AlertDetector();
    expect(d.offer({ ...t(500, 1), open24h: undefined })).toBeUndefined();
    expect(() => new AlertDetector({ thresholdPct: 0 })).toThrow(RangeError);
  });
});
