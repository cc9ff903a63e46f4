import { describe, expect, it } from "vitest";
import { diffRooms, scrollToRow, visibleRange } from "./viewport.ts";

describe("visibleRange", () => {
  it("covers the rows in view plus overscan, clamped to the list", () => {
    expect(visibleRange(0, 360, 36, 500, 0)).toEqual({ start: 0, end: 10 });
    expect(visibleRange(3600, 360, 36, 500, 4)).toEqual({ start: 96, end: 114 });
    expect(visibleRange(17_900, 360, 36, 500, 4)).toEqual({ start: 493, end: 500 });
    expect(visibleRange(0, 360, 36, 0, 4)).toEqual({ start: 0, end: 0 });
  });
});

describe("diffRooms", () => {
  it("says which rooms to add and which to drop", () => {
    expect(diffRooms(new Set(["a", "b"]), new Set(["b", "c"]))).toEqual({ add: ["c"], remove: ["a"] });
    expect(diffRooms(new Set(["a"]), new Set(["a"]))).toEqual({ add: [], remove: [] });
  });
});

describe("scrollToRow", () => {
  it("scrolls just enough to show the row", () => {
    expect(scrollToRow(5, 0, 360, 36)).toBe(0);
    expect(scrollToRow(10, 0, 360, 36)).toBe(36);
    expect(scrollToRow(2, 360, 360, 36)).toBe(72);
  });
});
