/** Tests of the actor cell: mailbox bound, one-at-a-time processing, crashes, stop. */
import { ActorCell } from "./actor.ts";
import { FakeClock } from "./clock.ts";
import { isActorCrashed } from "./errors.ts";
import { type Cmd, scripted, settle } from "./fixtures.ts";
import { describe, expect, it } from "./testing.ts";
import { type Actor, type ActorContext, ActorState, type Exit } from "./types.ts";

function cell(factory: () => Actor<Cmd>, opts: { mailbox?: number; shutdownMs?: number } = {}) {
  const clock = new FakeClock();
  const exits: Exit[] = [];
  const c = new ActorCell<Cmd>({ id: "worker", factory, clock, ...opts });
  c.onExit = (exit) => exits.push(exit);
  return { clock, c, exits };
}

describe("ActorCell", () => {
  it("processes messages one at a time, in order, even when receive is slow", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: string[] = [];
    const { clock, c } = cell(() => ({
      async receive(msg, ctx) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 10));
        seen.push(msg);
        inFlight--;
      },
    }));
    await c.start();
    for (const m of ["a", "b", "c"]) c.tell(m);
    await clock.advanceAsync(30);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(maxInFlight).toBe(1);
  });

  it("tell() returns false and counts a drop when the mailbox is full", async () => {
    const { clock, c } = cell(() => ({ receive: () => new Promise<void>(() => {}) }), { mailbox: 2 });
    await c.start();
    expect([c.tell("a"), c.tell("b"), c.tell("c")]).toEqual([true, true, false]);
    await clock.flush(); // "a" is taken into the (hung) receive, freeing a slot
    expect([c.tell("d"), c.tell("e")]).toEqual([true, false]);
    expect(c.mailboxDepth).toBe(2);
    expect(c.droppedMessages).toBe(2);
    const [row] = c.describe("root/worker", 0);
    expect(row?.mailboxDepth).toBe(2);
    expect(row?.droppedMessages).toBe(2);
  });

  it("tell() returns false before start and after stop", async () => {
    const { c } = cell(scripted("w", []));
    expect(c.tell("early")).toBe(false);
    await c.start();
    await c.stop();
    expect(c.tell("late")).toBe(false);
    expect(c.droppedMessages).toBe(2);
  });

  it("gives hooks a context with name, self ref, clock, logger category and a live signal", async () => {
    let seen: ActorContext<Cmd> | undefined;
    const { clock, c } = cell(() => ({ start: (ctx) => void (seen = ctx) }));
    await c.start();
    expect(seen?.name).toBe("worker");
    expect(seen?.self).toBe(c.ref);
    expect(seen?.clock).toBe(clock);
    expect(seen?.log.category).toEqual(["tickflow", "worker"]);
    expect(seen?.signal.aborted).toBe(false);
    await c.stop();
    expect(seen?.signal.aborted).toBe(true);
  });

  it("a throw in receive crashes the actor, runs its stop hook and reports a crash exit", async () => {
    const journal: string[] = [];
    const { clock, c, exits } = cell(scripted("w", journal));
    await c.start();
    c.tell("crash");
    await clock.flush();
    expect(c.state).toBe(ActorState.Failed);
    expect(journal).toEqual(["w:start", "w:msg:crash", "w:stop"]);
    expect(exits).toHaveLength(1);
    const exit = exits[0];
    expect(exit?.type === "crash" && isActorCrashed(exit.error)).toBe(true);
    expect(c.describe("root/worker", 0)[0]?.lastError).toBe("w crashed on purpose");
  });

  it("ctx.fail() from background work crashes the actor", async () => {
    const { clock, c, exits } = cell(scripted("w", []));
    await c.start();
    c.tell("fail-later");
    await clock.advanceAsync(10);
    expect(c.state).toBe(ActorState.Failed);
    expect(exits.map((e) => e.type)).toEqual(["crash"]);
  });

  it("a throw in start rejects start() with ActorCrashed and still runs the stop hook", async () => {
    const journal: string[] = [];
    const { clock, c, exits } = cell(scripted("w", journal, { failStart: true }));
    const started = settle(c.start());
    await clock.flush();
    expect(started.current.done && !started.current.ok && isActorCrashed(started.current.error)).toBe(true);
    expect(journal).toEqual(["w:start", "w:stop"]);
    expect(exits).toHaveLength(0); // a failed start is reported by start(), not onExit
  });

  it("ctx.complete() ends the actor normally", async () => {
    const journal: string[] = [];
    const { clock, c, exits } = cell(scripted("w", journal));
    await c.start();
    c.tell("complete");
    await clock.flush();
    expect(c.state).toBe(ActorState.Stopped);
    expect(exits).toEqual([{ type: "normal" }]);
    expect(journal).toEqual(["w:start", "w:msg:complete", "w:stop"]);
  });

  it("stop() lets the message in flight finish before the stop hook runs", async () => {
    const journal: string[] = [];
    const slow = async (msg: Cmd, ctx: ActorContext<Cmd>) => {
      await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 100));
      journal.push(`w:done:${msg}`);
    };
    const { clock, c } = cell(scripted("w", journal, { receive: slow }));
    await c.start();
    c.tell("slow");
    c.tell("dropped");
    await clock.flush();
    const stopped = settle(c.stop());
    await clock.advanceAsync(100);
    expect(stopped.current.done).toBe(true);
    expect(journal).toEqual(["w:start", "w:msg:slow", "w:done:slow", "w:stop"]);
    expect(c.droppedMessages).toBe(1);
  });

  it("a hung stop hook is abandoned after shutdownMs", async () => {
    const { clock, c } = cell(scripted("w", [], { hangStop: true }), { shutdownMs: 500 });
    await c.start();
    const stopped = settle(c.stop());
    await clock.advanceAsync(499);
    expect(stopped.current.done).toBe(false);
    await clock.advanceAsync(1);
    expect(stopped.current.done).toBe(true);
    expect(c.state).toBe(ActorState.Stopped);
  });

  it("a restart builds a fresh actor and ignores late failures of the old one", async () => {
    const contexts: ActorContext<Cmd>[] = [];
    const { c, exits } = cell(() => ({ start: (ctx) => void contexts.push(ctx) }));
    await c.start();
    await c.stop();
    await c.start();
    contexts[0]?.fail(new Error("late"));
    expect(c.state).toBe(ActorState.Running);
    expect(exits).toHaveLength(0);
    expect(contexts[0]?.signal.aborted).toBe(true);
    expect(contexts[1]?.signal.aborted).toBe(false);
  });

  it("status rows carry the actor's own extra fields", async () => {
    const { c } = cell(scripted("w", [], { status: () => ({ shards: 3 }) }));
    await c.start();
    expect(c.describe("root/worker", 2)[0]).toEqual({
      path: "root/worker",
      id: "worker",
      kind: "actor",
      state: ActorState.Running,
      restarts: 2,
      mailboxDepth: 0,
      droppedMessages: 0,
      startedAt: 0,
      extra: { shards: 3 },
    });
  });

  it("rejects a mailbox capacity below 1 with RangeError", () => {
    expect(() => new ActorCell({ id: "x", factory: () => ({}), mailbox: 0 })).toThrow(RangeError);
  });
});
