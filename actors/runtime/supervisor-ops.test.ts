/** Tests of a supervisor's lifecycle and ops surface: start/stop order, timeouts, stopChild/restartChild, status. */
import { FakeClock } from "./clock.ts";
import { type Cmd, scripted, settle } from "./fixtures.ts";
import { Supervisor } from "./supervisor.ts";
import { describe, expect, it } from "./testing.ts";
import { ActorState, type SupervisorSpec } from "./types.ts";

function tree(spec: SupervisorSpec) {
  const clock = new FakeClock();
  const sup = new Supervisor("root", { backoff: { jitter: 0 }, ...spec }, { clock, random: () => 0 });
  return { clock, sup };
}

describe("Supervisor start and stop", () => {
  it("starts each child only after the previous child's start resolved", async () => {
    const journal: string[] = [];
    const { sup, clock } = tree({
      children: [{ id: "a", actor: scripted("a", journal, { startMs: 50 }) }, { id: "b", actor: scripted("b", journal) }],
    });
    const started = settle(sup.start());
    await clock.advanceAsync(49);
    expect(journal).toEqual(["a:start"]);
    await clock.advanceAsync(1);
    expect(journal).toEqual(["a:start", "b:start"]);
    expect(started.current.done).toBe(true);
    expect(sup.state).toBe(ActorState.Running);
  });

  it("stops children in reverse start order", async () => {
    const journal: string[] = [];
    const { sup } = tree({ children: ["a", "b", "c"].map((id) => ({ id, actor: scripted(id, journal) })) });
    await sup.start();
    await sup.stop();
    expect(journal).toEqual(["a:start", "b:start", "c:start", "c:stop", "b:stop", "a:stop"]);
    expect(sup.status().map((s) => s.state)).toEqual(["stopped", "stopped", "stopped", "stopped"]);
  });

  it("abandons a hung child after its shutdown timeout and still stops the others", async () => {
    const journal: string[] = [];
    const { sup, clock } = tree({
      children: [
        { id: "a", actor: scripted("a", journal) },
        { id: "b", actor: scripted("b", journal, { hangStop: true }), shutdownMs: 1000 },
      ],
    });
    await sup.start();
    const stopped = settle(sup.stop());
    await clock.advanceAsync(999);
    expect(stopped.current.done).toBe(false);
    expect(journal.slice(2)).toEqual(["b:stop"]);
    await clock.advanceAsync(1);
    expect(stopped.current.done).toBe(true);
    expect(journal.slice(2)).toEqual(["b:stop", "a:stop"]);
  });

  it("stops nested supervisors depth-first, in reverse order", async () => {
    const journal: string[] = [];
    const { sup } = tree({
      children: [
        { id: "a", actor: scripted("a", journal) },
        { id: "ingest", supervisor: { children: ["s0", "s1"].map((id) => ({ id, actor: scripted(id, journal) })) } },
      ],
    });
    await sup.start();
    await sup.stop();
    expect(journal).toEqual(["a:start", "s0:start", "s1:start", "s1:stop", "s0:stop", "a:stop"]);
  });

  it("rejects a spec with duplicate child ids with TypeError", () => {
    const child = { id: "a", actor: scripted("a", []) };
    expect(() => new Supervisor("root", { children: [child, child] })).toThrow(TypeError);
  });
});

describe("Supervisor ops commands", () => {
  const nested = (journal: string[]): SupervisorSpec => ({
    children: [
      { id: "a", actor: scripted("a", journal) },
      { id: "ingest", supervisor: { children: [{ id: "shard-0", actor: scripted("shard-0", journal) }] } },
    ],
  });

  it("stopChild(path) stops a child, which stays stopped until restartChild(path)", async () => {
    const journal: string[] = [];
    const { sup, clock } = tree(nested(journal));
    await sup.start();
    await sup.stopChild("root/ingest/shard-0");
    await clock.advanceAsync(120_000);
    expect(journal.slice(2)).toEqual(["shard-0:stop"]);
    expect(sup.status().find((s) => s.path === "root/ingest/shard-0")?.state).toBe(ActorState.Stopped);
    await sup.restartChild("root/ingest/shard-0");
    expect(journal.slice(3)).toEqual(["shard-0:start"]);
    const row = sup.status().find((s) => s.path === "root/ingest/shard-0");
    expect([row?.state, row?.restarts]).toEqual([ActorState.Running, 1]);
  });

  it("restartChild(path) stops and starts a running child at once, leaving siblings alone", async () => {
    const journal: string[] = [];
    const { sup } = tree(nested(journal));
    await sup.start();
    await sup.restartChild("root/a");
    expect(journal.slice(2)).toEqual(["a:stop", "a:start"]);
  });

  it("stopChild() and restartChild() reject an unknown path with RangeError", async () => {
    const { sup } = tree(nested([]));
    await sup.start();
    const errors = [];
    for (const command of [() => sup.stopChild("root/nope"), () => sup.restartChild("ingest/shard-0"), () => sup.stopChild("root/a/deeper")]) {
      errors.push(await command().then(() => undefined, (e: unknown) => e));
    }
    expect(errors.map((e) => e instanceof RangeError)).toEqual([true, true, true]);
  });

  it("status() lists the flattened tree with paths, restarts, mailbox depth and drops", async () => {
    const { sup, clock } = tree({
      children: [
        { id: "a", actor: scripted("a", []) },
        {
          id: "ingest",
          supervisor: {
            children: [{ id: "shard-0", mailbox: 2, actor: scripted("shard-0", [], { receive: () => new Promise(() => {}) }) }],
          },
        },
      ],
    });
    await sup.start();
    sup.ref<Cmd>("root/a")?.tell("crash");
    await clock.advanceAsync(100);
    const shard = sup.ref<Cmd>("root/ingest/shard-0");
    shard?.tell("hang");
    await clock.flush(); // "hang" is now in the (never ending) receive
    for (const m of ["x", "y", "z"]) shard?.tell(m); // capacity 2: "z" is dropped
    const rows = sup.status().map((s) => ({ path: s.path, kind: s.kind, restarts: s.restarts, depth: s.mailboxDepth, dropped: s.droppedMessages }));
    expect(rows).toEqual([
      { path: "root", kind: "supervisor", restarts: 0, depth: 0, dropped: 0 },
      { path: "root/a", kind: "actor", restarts: 1, depth: 0, dropped: 0 },
      { path: "root/ingest", kind: "supervisor", restarts: 0, depth: 0, dropped: 0 },
      { path: "root/ingest/shard-0", kind: "actor", restarts: 0, depth: 2, dropped: 1 },
    ]);
    expect(sup.status()[0]?.extra).toEqual({ strategy: "one_for_one", restarts: 1, escalations: 0, stops: 0 });
    expect(sup.status()[1]?.lastError).toBe("a crashed on purpose");
  });
});
