import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.ts";

describe("Backoff", () => {
  it("starts at 1 s, doubles, and never exceeds 30 s", () => {
    const b = new Backoff({ random: () => 0 });
    const delays = Array.from({ length: 8 }, () => b.next());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("shortens each delay by up to the jitter share", () => {
    const b = new Backoff({ random: () => 0.999999, jitter: 0.3 });
    expect(b.next()).toBe(700);
    expect(b.next()).toBe(1400);
  });

  it("spreads delays of many clients instead of syncing them", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(new Backoff().next());
    expect(seen.size).toBeGreaterThan(10);
    for (const d of seen) expect(d).toBeGreaterThanOrEqual(700);
  });

  it("goes back to the first delay after reset()", () => {
    const b = new Backoff({ random: () => 0 });
    b.next(); b.next(); b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(1000);
  });

  it("rejects nonsensical options with a RangeError", () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 5000, maxMs: 1000 })).toThrow(/maxMs/);
    expect(() => new Backoff({ jitter: 2 })).toThrow(/jitter/);
  });
});
