import { describe, expect, it } from "vitest";
import { Freshness } from "./freshness.ts";
import { FreshnessReport } from "../lib/contracts/host-protocol.ts";
import { FakeClock } from "./runtime/mod.ts";

describe("Freshness", () => {
  it("reports the age of the newest mark per key and is fresh while expected keys keep arriving", () => {
    const clock = new FakeClock(1_000);
    const f = new Freshness("shard", clock, 10_000);
    f.expect("in:binance");
    f.mark("in:binance");
    clock.advance(4_000);
    f.mark("out");
    clock.advance(2_000);
    const r = f.report();
    expect(r.ages).toEqual({ "in:binance": 6_000, out: 2_000 });
    expect(r.stale).toBe(false);
    expect(FreshnessReport.safeParse(r).success).toBe(true);
  });

  it("marks an expected key stale once nothing arrived for longer than its limit, and fresh again when data flows", () => {
    const clock = new FakeClock(0);
    const f = new Freshness("coalescer", clock, 10_000);
    f.expect("in");
    f.mark("in");
    clock.advance(10_001);
    const stale = f.report();
    expect(stale.stale).toBe(true);
    expect(stale.reasons?.[0]).toMatch(/^in no data for 10 s/);
    f.mark("in");
    expect(f.report().stale).toBe(false);
  });

  it("counts a key that never saw data from when it became expected, and lists it as waiting", () => {
    const clock = new FakeClock(0);
    const f = new Freshness("shard", clock, 5_000);
    f.mark("out");
    clock.advance(60_000);
    f.expect("in:coinbase"); // took work over just now: a full period of grace
    clock.advance(4_000);
    expect(f.report().stale).toBe(false);
    expect(f.report().waiting).toEqual(["in:coinbase"]);
    clock.advance(2_000);
    expect(f.report().reasons?.[0]).toMatch(/in:coinbase nothing yet for 6 s/);
  });

  it("never marks a key stale that is not expected, however old", () => {
    const clock = new FakeClock(0);
    const f = new Freshness("ranker", clock, 1_000);
    f.expect("out:alerts");
    f.mark("out:alerts");
    f.unexpect("out:alerts");
    clock.advance(3_600_000);
    expect(f.report().stale).toBe(false);
    expect(f.report().ages["out:alerts"]).toBe(3_600_000);
  });

  it("expectOnly() keeps expecting the listed keys of a prefix and releases the others", () => {
    const clock = new FakeClock(0);
    const f = new Freshness("shard", clock, 1_000);
    f.expectOnly("in:", ["in:a", "in:b"]);
    f.expectOnly("in:", ["in:b"]);
    clock.advance(2_000);
    expect(f.report().reasons).toEqual([expect.stringMatching(/^in:b /)]);
  });

  it("adds the actor's own reasons and details to the report", () => {
    const f = new Freshness("archiver", new FakeClock(0), 1_000);
    f.detail("lag", { messages: 5, oldestSec: 90 });
    const r = f.report(["lag 90 s"]);
    expect(r.stale).toBe(true);
    expect(r.lag).toEqual({ messages: 5, oldestSec: 90 });
  });

  it("refuses a limit that is not positive", () => {
    expect(() => new Freshness("x", new FakeClock(0), 0)).toThrow(RangeError);
  });
});
