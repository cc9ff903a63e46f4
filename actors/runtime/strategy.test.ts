/** Tests of the pure supervision decisions: decide() and restartSet(). */
import { decide, restartSet } from "./strategy.ts";
import { describe, expect, it } from "./testing.ts";
import { RestartStrategy, RestartType, SupervisionAction } from "./types.ts";

const base = { now: 100_000, restartTimes: [] as number[], maxRestarts: 3, periodMs: 60_000 };

describe("decide()", () => {
  it("restarts a permanent child after a crash and after a normal exit", () => {
    expect(decide({ ...base, restart: RestartType.Permanent, exit: "crash" })).toBe(SupervisionAction.Restart);
    expect(decide({ ...base, restart: RestartType.Permanent, exit: "normal" })).toBe(SupervisionAction.Restart);
  });

  it("restarts a transient child only after a crash", () => {
    expect(decide({ ...base, restart: RestartType.Transient, exit: "crash" })).toBe(SupervisionAction.Restart);
    expect(decide({ ...base, restart: RestartType.Transient, exit: "normal" })).toBe(SupervisionAction.Stop);
  });

  it("never restarts a temporary child", () => {
    expect(decide({ ...base, restart: RestartType.Temporary, exit: "crash" })).toBe(SupervisionAction.Stop);
  });

  it("escalates when one more restart would exceed maxRestarts within the period", () => {
    const three = [50_000, 60_000, 90_000];
    expect(decide({ ...base, restart: RestartType.Permanent, exit: "crash", restartTimes: three.slice(0, 2) })).toBe(SupervisionAction.Restart);
    expect(decide({ ...base, restart: RestartType.Permanent, exit: "crash", restartTimes: three })).toBe(SupervisionAction.Escalate);
  });

  it("forgets restarts older than the period", () => {
    const old = [10_000, 20_000, 30_000, 90_000];
    expect(decide({ ...base, restart: RestartType.Permanent, exit: "crash", restartTimes: old })).toBe(SupervisionAction.Restart);
  });

  it("escalates at the first failure when maxRestarts is 0", () => {
    expect(decide({ ...base, maxRestarts: 0, restart: RestartType.Permanent, exit: "crash" })).toBe(SupervisionAction.Escalate);
  });
});

describe("restartSet()", () => {
  it("names only the failed child for one_for_one", () => {
    expect(restartSet(RestartStrategy.OneForOne, 1, 4)).toEqual([1]);
  });

  it("names every child for one_for_all", () => {
    expect(restartSet(RestartStrategy.OneForAll, 1, 4)).toEqual([0, 1, 2, 3]);
  });

  it("names the failed child and the ones after it for rest_for_one", () => {
    expect(restartSet(RestartStrategy.RestForOne, 1, 4)).toEqual([1, 2, 3]);
  });

  it("rejects an index outside the children with RangeError", () => {
    expect(() => restartSet(RestartStrategy.OneForOne, 4, 4)).toThrow(RangeError);
  });
});
