/** duration.ts: the one duration parser; a bare number means milliseconds. */
import { describe, expect, it } from "vitest";
import { isDurationError, parseDuration } from "./duration.ts";

describe("parseDuration()", () => {
  it("reads unit strings and their combinations as milliseconds", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("10s")).toBe(10_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration(" 250us ")).toBe(0.25);
  });

  it("reads a bare number, string or number, as milliseconds", () => {
    expect(parseDuration("30")).toBe(30);
    expect(parseDuration("2.5")).toBe(2.5);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(0)).toBe(0);
  });

  it("throws a DurationError naming the value on anything else", () => {
    for (const bad of ["soon", "", "10 minutes", "5d", "-1s", "1s ago", "s"]) {
      let caught: unknown;
      try {
        parseDuration(bad);
      } catch (e) {
        caught = e;
      }
      expect(isDurationError(caught), bad).toBe(true);
      expect((caught as Error).message).toContain(JSON.stringify(bad));
    }
    expect(() => parseDuration(-5)).toThrow(RangeError);
    expect(() => parseDuration(Number.NaN)).toThrow(/bad duration/);
  });
});
