import { describe, expect, it } from "vitest";
import { trendOf, volatilityOf } from "./classify.ts";

describe("volatilityOf()", () => {
  const cases: Array<[number, string]> = [
    [0, "Stable"], [1.9999, "Stable"], [-1.9999, "Stable"],
    [2, "Moving"], [-2, "Moving"], [4.9999, "Moving"],
    [5, "Volatile"], [-5, "Volatile"], [9.9999, "Volatile"],
    [10, "High Volatility"], [-10, "High Volatility"], [19.9999, "High Volatility"],
    [20, "Extreme"], [-20, "Extreme"], [250, "Extreme"],
  ];
  for (const [c, label] of cases) {
    it(`labels a 24 h change of ${c}% as ${label}`, () => expect(volatilityOf(c)).toBe(label));
  }
  it("refuses NaN instead of guessing a label", () => expect(() => volatilityOf(Number.NaN)).toThrow(RangeError));
});

describe("trendOf()", () => {
  const cases: Array<[number, string]> = [
    [5, "Surging"], [80, "Surging"], [4.9999, "Rising"], [2, "Rising"],
    [1.9999, "Stable"], [0, "Stable"], [-1.9999, "Stable"],
    [-2, "Falling"], [-4.9999, "Falling"], [-5, "Crashing"], [-60, "Crashing"],
  ];
  for (const [c, label] of cases) {
    it(`labels a 24 h change of ${c}% as ${label}`, () => expect(trendOf(c)).toBe(label));
  }
  it("refuses Infinity", () => expect(() => trendOf(Infinity)).toThrow(RangeError));
});
