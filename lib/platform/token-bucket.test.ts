/** token-bucket.ts: burst, refill, and the two ways to give it the time. */
import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.ts";

describe("TokenBucket", () => {
  it("allows a burst, then the refill rate, with time read from a clock", () => {
    let t = 1_000;
    const b = new TokenBucket(4, 2, { now: () => t });
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
    expect(b.msUntil()).toBe(250);
    t += 250;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t += 10_000;
    expect(b.available()).toBe(2);
  });

  it("takes the time from the caller when built with a start time", () => {
    const b = new TokenBucket(2, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(500)).toBe(true);
    expect(b.take(500)).toBe(false);
    expect(b.take(400)).toBe(false); // time going backwards refills nothing
  });

  it("rejects a rate or burst that could never let anything through", () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0.5, 0)).toThrow(/burst must be >= 1/);
  });
});
