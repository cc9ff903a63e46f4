import { describe, expect, it } from "vitest";
import { DurableIndex } from "./durable-index.ts";
import { StagedFile } from "./staging.ts";
import type { DuckWriter } from "../../lib/lake/duck.ts";
import type { Target } from "../../lib/lake/target.ts";

const P = "ticks/date=2025-11-22/hour=6/exchange=sim";
/** A durable file of `n` consecutive messages from `first`. */
const file = (first: number, n: number) =>
  new StagedFile(`${P}/${first}-${first + n - 1}.parquet`, "/nonexistent", 1, Float64Array.from({ length: n }, (_, i) => first + i), first, first + n - 1);

describe("DurableIndex memory", () => {
  it("keeps the sequence sets of durable files within its byte budget, forgetting the oldest", () => {
    // Not used by promote/findInMemory: the sets come from the staged files themselves.
    const idx = new DurableIndex({} as Target, {} as DuckWriter, "/nonexistent", 2000, 100_000 * 8);
    for (let i = 0; i < 10; i++) {
      const f = file(1 + i * 40_000, 40_000);
      idx.addStaged(f);
      f.state = "done";
      idx.promote(f);
    }
    expect(idx.knownBytes).toBeLessThanOrEqual(100_000 * 8);
    expect(idx.knownBytes).toBe(2 * 40_000 * 8);
    expect(idx.findInMemory(P, 9 * 40_000 + 5)).toBe("target"); // newest: kept
    expect(idx.findInMemory(P, 5)).toBeUndefined(); // oldest: forgotten (a redelivery re-reads the file)
  });
});
