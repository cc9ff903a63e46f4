/** Tests of supervision: strategies, restart types, restart intensity and backoff. */
import { FakeClock } from "./clock.ts";
import { isEscalationError } from "./errors.ts";
import { type Cmd, scripted, settle } from "./fixtures.ts";
import { Supervisor } from "./supervisor.ts";
import { describe, expect, it } from "./testing.ts";
import { type Actor, ActorState, type ChildSpec, type RestartStrategy, type SupervisorSpec } from "./types.ts";

const backoff = { baseMs: 100, maxMs: 1000, resetAfterMs: 10_000, jitter: 0 };

function tree(spec: Omit<SupervisorSpec, "backoff">) {
  const clock = new FakeClock();
  const sup = new Supervisor("root", { backoff, ...spec }, { clock, random: () => 0 });
  const tell = (path: string, msg: Cmd) => sup.ref<Cmd>(path)?.tell(msg);
  const restarts = () => Object.fromEntries(sup.status().map((s) => [s.path, s.restarts]));
  return { clock, sup, tell, restarts };
}

const abc = (journal: string[], overrides: Partial<ChildSpec> = {}): ChildSpec[] =>
  ["a", "b", "c"].map((id) => ({ id, actor: scripted(id, journal), ...overrides }));

async function crashB(strategy: RestartStrategy) {
  const journal: string[] = [];
  const t = tree({ strategy, children: abc(journal) });
  await t.sup.start();
  journal.length = 0;
  t.tell("root/b", "crash");
  await t.clock.advanceAsync(100);
  return { ...t, journal };
}

describe("Supervisor strategies", () => {
  it("one_for_one restarts only the crashed child, after the backoff delay", async () => {
    const { journal, restarts } = await crashB("one_for_one");
    expect(journal).toEqual(["b:msg:crash", "b:stop", "b:start"]);
    expect(restarts()).toEqual({ "root": 0, "root/a": 0, "root/b": 1, "root/c": 0 });
  });

  it("one_for_all stops the siblings in reverse order and restarts every child in order", async () => {
    const { journal, restarts } = await crashB("one_for_all");
    expect(journal).toEqual(["b:msg:crash", "b:stop", "c:stop", "a:stop", "a:start", "b:start", "c:start"]);
    expect(restarts()).toEqual({ "root": 0, "root/a": 1, "root/b": 1, "root/c": 1 });
  });

  it("rest_for_one restarts the crashed child and the ones started after it, not the earlier ones", async () => {
    const { journal, restarts } = await crashB("rest_for_one");
    expect(journal).toEqual(["b:msg:crash", "b:stop", "c:stop", "b:start", "c:start"]);
    expect(restarts()).toEqual({ "root": 0, "root/a": 0, "root/b": 1, "root/c": 1 });
  });

  it("waits for the backoff delay before restarting", async () => {
    const journal: string[] = [];
    const { sup, clock, tell } = tree({ children: abc(journal) });
    await sup.start();
    tell("root/a", "crash");
    await clock.advanceAsync(99);
    expect(journal.filter((e) => e === "a:start")).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(journal.filter((e) => e === "a:start")).toHaveLength(2);
  });
});

describe("Supervisor restart types", () => {
  it("never restarts a temporary child", async () => {
    const journal: string[] = [];
    const { sup, clock, tell } = tree({ children: abc(journal, { restart: "temporary" }) });
    await sup.start();
    tell("root/b", "crash");
    await clock.advanceAsync(60_000);
    expect(journal.filter((e) => e === "b:start")).toHaveLength(1);
    expect(sup.status().find((s) => s.id === "b")?.state).toBe(ActorState.Failed);
  });

  it("does not restart a transient child after a normal exit", async () => {
    const journal: string[] = [];
    const { sup, clock, tell } = tree({ children: abc(journal, { restart: "transient" }) });
    await sup.start();
    tell("root/b", "complete");
    await clock.advanceAsync(60_000);
    expect(journal.filter((e) => e === "b:start")).toHaveLength(1);
    expect(sup.status().find((s) => s.id === "b")?.state).toBe(ActorState.Stopped);
  });

  it("restarts a transient child after a crash", async () => {
    const journal: string[] = [];
    const { sup, clock, tell } = tree({ children: abc(journal, { restart: "transient" }) });
    await sup.start();
    tell("root/b", "crash");
    await clock.advanceAsync(100);
    expect(journal.filter((e) => e === "b:start")).toHaveLength(2);
    expect(sup.status().find((s) => s.id === "b")?.state).toBe(ActorState.Running);
  });

  it("restarts a permanent child even after a normal exit", async () => {
    const journal: string[] = [];
    const { sup, clock, tell } = tree({ children: abc(journal) });
    await sup.start();
    tell("root/b", "complete");
    await clock.advanceAsync(100);
    expect(journal.filter((e) => e === "b:start")).toHaveLength(2);
  });
});

describe("Supervisor restart intensity", () => {
  it("gives up after more than maxRestarts restarts in the period, stopping children in reverse order", async () => {
    const journal: string[] = [];
    const { sup, clock } = tree({
      maxRestarts: 3,
      children: [{ id: "ok", actor: scripted("ok", journal) }, { id: "loop", actor: scripted("loop", journal, { failStart: true }) }],
    });
    const started = settle(sup.start());
    await clock.runAllAsync();
    const outcome = started.current;
    expect(outcome.done && !outcome.ok && isEscalationError(outcome.error)).toBe(true);
    expect(journal.filter((e) => e === "loop:start")).toHaveLength(4); // first start + 3 restarts
    expect(journal.slice(-2)).toEqual(["loop:stop", "ok:stop"]);
    expect(sup.state).toBe(ActorState.Failed);
    expect(sup.counters).toEqual({ restarts: 3, escalations: 1, stops: 1 });
  });

  it("escalates a crash loop of a running child to its parent through onExit", async () => {
    const { sup, clock, tell } = tree({ maxRestarts: 2, children: [{ id: "a", actor: scripted("a", []) }] });
    const exits: string[] = [];
    sup.onExit = (exit) => exits.push(exit.type === "crash" && isEscalationError(exit.error) ? "escalated" : "other");
    await sup.start();
    for (let i = 0; i < 3; i++) {
      tell("root/a", "crash");
      await clock.advanceAsync(1000);
    }
    expect(exits).toEqual(["escalated"]);
    expect(sup.state).toBe(ActorState.Failed);
  });

  it("does not give up when the restarts are spread wider than the period", async () => {
    const { sup, clock, tell } = tree({ maxRestarts: 1, periodMs: 60_000, children: [{ id: "a", actor: scripted("a", []) }] });
    await sup.start();
    for (let i = 0; i < 5; i++) {
      tell("root/a", "crash");
      await clock.advanceAsync(61_000);
    }
    expect(sup.state).toBe(ActorState.Running);
    expect(sup.status()[1]?.restarts).toBe(5);
  });

  it("backs off exponentially between restarts and starts over after a quiet period", async () => {
    const crashes: number[] = [];
    const starts: number[] = [];
    const { sup, clock, tell } = tree({
      maxRestarts: 10,
      children: [{
        id: "a",
        actor: (): Actor<Cmd> => ({
          start: (ctx) => void starts.push(ctx.clock.now()),
          receive(_msg, ctx) {
            crashes.push(ctx.clock.now());
            throw new Error("again");
          },
        }),
      }],
    });
    await sup.start();
    for (const quiet of [0, 0, 0, 20_000]) {
      await clock.advanceAsync(quiet);
      tell("root/a", "crash");
      await clock.advanceAsync(1000);
    }
    const delays = crashes.map((t, i) => (starts[i + 1] ?? NaN) - t);
    expect(delays).toEqual([100, 200, 400, 100]);
  });

  it("retries a child that fails to start before starting the next one", async () => {
    const journal: string[] = [];
    const { sup, clock } = tree({
      children: [{ id: "a", actor: scripted("a", journal, { failStart: 1 }) }, { id: "b", actor: scripted("b", journal) }],
    });
    const started = settle(sup.start());
    await clock.advanceAsync(100);
    expect(started.current.done).toBe(true);
    expect(journal).toEqual(["a:start", "a:stop", "a:start", "b:start"]);
  });

  it("restarts a nested supervisor that gave up, which then starts with a fresh intensity", async () => {
    const journal: string[] = [];
    const { sup, clock, restarts } = tree({
      children: [{
        id: "ingest",
        supervisor: { maxRestarts: 1, backoff, children: [{ id: "shard-0", actor: scripted("shard-0", journal, { failStart: 2 }) }] },
      }],
    });
    const started = settle(sup.start());
    await clock.runAllAsync();
    expect(started.current.done && started.current.ok).toBe(true);
    expect(journal.filter((e) => e === "shard-0:start")).toHaveLength(3);
    expect(restarts()).toEqual({ "root": 0, "root/ingest": 1, "root/ingest/shard-0": 1 });
    expect(sup.status().map((s) => s.state)).toEqual(["running", "running", "running"]);
  });
});
