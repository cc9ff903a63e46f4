import { describe, expect, it } from "vitest";
import { cumulative, group, stepChoices } from "./book.ts";

describe("order book grouping", () => {
  it("groups bids down and asks up so a group never crosses the spread", () => {
    expect(group([[100.4, 1], [100.1, 2], [99.9, 3]], 1, "bid")).toEqual([[100, 3], [99, 3]]);
    expect(group([[100.6, 1], [100.9, 2], [101.2, 3]], 1, "ask")).toEqual([[101, 3], [102, 3]]);
  });

  it("adds sizes from the best level outwards", () => {
    expect(cumulative([[100, 1], [99, 2], [98, 0.5]])).toEqual([[100, 1], [99, 3], [98, 3.5]]);
  });

  it("offers steps from the price's fine tick to coarser ones", () => {
    expect(stepChoices(67_000)).toEqual([1, 10, 100, 1000]);
    expect(stepChoices(0.00025)).toEqual([1e-8, 1e-7, 1e-6, 1e-5]);
  });
});
