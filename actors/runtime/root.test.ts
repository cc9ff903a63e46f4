/** Tests of runRoot(): escalation to the top of the tree ends in onGiveUp / exit(1). */
import { FakeClock } from "./clock.ts";
import { isEscalationError } from "./errors.ts";
import { type Cmd, scripted } from "./fixtures.ts";
import { runRoot } from "./root.ts";
import { describe, expect, it } from "./testing.ts";
import { ActorState } from "./types.ts";

describe("runRoot()", () => {
  it("resolves with a running root whose status paths start at root", async () => {
    const root = await runRoot({ children: [{ id: "a", actor: scripted("a", []) }] }, { clock: new FakeClock(), onGiveUp: () => {} });
    expect(root.status().map((s) => [s.path, s.state])).toEqual([["root", "running"], ["root/a", "running"]]);
    await root.stop();
  });

  it("passes the escalation of a nested supervisor up to the root's onGiveUp", async () => {
    const clock = new FakeClock();
    const journal: string[] = [];
    const givenUp: unknown[] = [];
    const root = await runRoot({
      maxRestarts: 0,
      children: [
        { id: "edge-feed", actor: scripted("edge-feed", journal) },
        {
          id: "ingest",
          supervisor: { maxRestarts: 1, backoff: { jitter: 0 }, children: [{ id: "shard-0", actor: scripted("shard-0", journal) }] },
        },
      ],
    }, { clock, random: () => 0, onGiveUp: (err) => givenUp.push(err) });
    const shard = root.ref<Cmd>("root/ingest/shard-0");
    shard?.tell("crash");
    await clock.advanceAsync(100); // ingest restarts shard-0 once
    shard?.tell("crash"); // second crash: ingest gives up, root (maxRestarts 0) gives up too
    await clock.runAllAsync();
    expect(givenUp).toHaveLength(1);
    const err = givenUp[0];
    expect(isEscalationError(err) && isEscalationError(err.cause)).toBe(true);
    expect(root.state).toBe(ActorState.Failed);
    expect(journal.slice(-2)).toEqual(["shard-0:stop", "edge-feed:stop"]);
  });

  it("by default logs and exits with code 1 when the root gives up during start", async () => {
    const codes: number[] = [];
    const clock = new FakeClock();
    const running = runRoot(
      { maxRestarts: 1, children: [{ id: "a", actor: scripted("a", [], { failStart: true }) }] },
      { clock, random: () => 0, exit: (code) => codes.push(code) },
    );
    await clock.runAllAsync();
    const root = await running;
    expect(codes).toEqual([1]);
    expect(root.state).toBe(ActorState.Failed);
  });
});
