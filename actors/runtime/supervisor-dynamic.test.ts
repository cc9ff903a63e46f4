/** Tests of dynamic children: actors added and removed at run time (placement). */
import { FakeClock } from "./clock.ts";
import { scripted } from "./fixtures.ts";
import { Supervisor } from "./supervisor.ts";
import { describe, expect, it } from "./testing.ts";

describe("Supervisor dynamic children", () => {
  it("addChild() starts a new child, restarts it like any other, and stops it first on shutdown", async () => {
    const journal: string[] = [];
    const clock = new FakeClock();
    const sup = new Supervisor("pool", { backoff: { jitter: 0 }, children: [{ id: "a", actor: scripted("a", journal) }] }, { clock, random: () => 0 });
    await sup.start();
    await sup.addChild({ id: "b", actor: scripted("b", journal) });
    expect(sup.childIds()).toEqual(["a", "b"]);
    expect(sup.status().find((s) => s.path === "pool/b")?.state).toBe("running");
    sup.ref<string>("pool/b")!.tell("crash");
    await clock.advanceAsync(1000);
    expect(sup.status().find((s) => s.path === "pool/b")?.restarts).toBe(1);
    await sup.stop();
    expect(journal.slice(-2)).toEqual(["b:stop", "a:stop"]);
  });

  it("addChild() rejects a duplicate id and removeChild() stops and forgets a child", async () => {
    const journal: string[] = [];
    const sup = new Supervisor("pool", { children: [] }, { clock: new FakeClock() });
    await sup.start();
    await sup.addChild({ id: "x", actor: scripted("x", journal) });
    let error: unknown;
    try {
      await sup.addChild({ id: "x", actor: scripted("x", journal) });
    } catch (e) {
      error = e;
    }
    expect(error instanceof RangeError).toBe(true);
    expect(await sup.removeChild("x")).toBe(true);
    expect(await sup.removeChild("x")).toBe(false);
    expect(sup.childIds()).toEqual([]);
    expect(journal).toEqual(["x:start", "x:stop"]);
    await sup.stop();
  });

  it("supervisorAt() finds a nested supervisor by path", async () => {
    const sup = new Supervisor("root", { children: [{ id: "placed", supervisor: { children: [] } }] }, { clock: new FakeClock() });
    await sup.start();
    expect(sup.supervisorAt("root/placed")?.id).toBe("placed");
    expect(sup.supervisorAt("root/nope")).toBeUndefined();
    await sup.stop();
  });
});
