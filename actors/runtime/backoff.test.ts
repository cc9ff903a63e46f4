/** Tests of exponential backoff with jitter and its reset after a quiet period. */
import { Backoff, backoffDelay } from "./backoff.ts";
import { describe, expect, it } from "./testing.ts";

const noJitter = { baseMs: 100, maxMs: 1000, jitter: 0 };

describe("backoffDelay()", () => {
  it("doubles from baseMs and stops at maxMs", () => {
    const delays = [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, noJitter));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("takes at most the jitter share off the delay", () => {
    const opts = { baseMs: 1000, maxMs: 10_000, jitter: 0.5 };
    expect(backoffDelay(0, { ...opts, random: () => 0 })).toBe(1000);
    expect(backoffDelay(0, { ...opts, random: () => 0.5 })).toBe(750);
    expect(backoffDelay(0, { ...opts, random: () => 0.999 })).toBeGreaterThanOrEqual(500);
  });

  it("stays finite for huge attempt numbers, even with baseMs 0", () => {
    expect(backoffDelay(10_000, noJitter)).toBe(1000);
    expect(backoffDelay(10_000, { ...noJitter, baseMs: 0 })).toBe(0);
  });

  it("rejects a jitter outside 0..1 and negative durations with RangeError", () => {
    expect(() => backoffDelay(0, { jitter: 1.5 })).toThrow(RangeError);
    expect(() => backoffDelay(0, { baseMs: -1 })).toThrow(RangeError);
  });
});

describe("Backoff", () => {
  it("grows with each failure and starts over after a quiet period", () => {
    const backoff = new Backoff({ ...noJitter, resetAfterMs: 5000 });
    expect([backoff.next(0), backoff.next(10), backoff.next(20)]).toEqual([100, 200, 400]);
    expect(backoff.next(4000)).toBe(800);
    expect(backoff.next(9000)).toBe(100);
    expect(backoff.attempt).toBe(1);
  });

  it("reset() starts over at once", () => {
    const backoff = new Backoff(noJitter);
    backoff.next(0);
    backoff.next(1);
    backoff.reset();
    expect(backoff.next(2)).toBe(100);
  });
});
