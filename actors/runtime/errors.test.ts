/** Tests of the runtime's named errors and their guards. */
import { ActorCrashed, EscalationError, isActorCrashed, isEscalationError, isMailboxFull, isShutdownTimeout, MailboxFull, ShutdownTimeout } from "./errors.ts";
import { describe, expect, it } from "./testing.ts";

describe("runtime errors", () => {
  it("set their name and keep the cause", () => {
    const cause = new Error("socket closed");
    const crashed = new ActorCrashed("shard-0", { cause });
    expect(crashed.name).toBe("ActorCrashed");
    expect(crashed.cause).toBe(cause);
    expect(crashed.message).toContain("socket closed");
    expect(new EscalationError("ingest", "too many restarts", { cause: crashed }).cause).toBe(crashed);
  });

  it("are recognised by their guards and only by their own", () => {
    const errors = [new ActorCrashed("a"), new EscalationError("s", "x"), new MailboxFull("a", 10), new ShutdownTimeout("a", 5000)];
    const guards = [isActorCrashed, isEscalationError, isMailboxFull, isShutdownTimeout];
    const matrix = guards.map((guard) => errors.map((e) => guard(e)));
    expect(matrix).toEqual([
      [true, false, false, false],
      [false, true, false, false],
      [false, false, true, false],
      [false, false, false, true],
    ]);
    expect(isActorCrashed(new Error("plain"))).toBe(false);
    expect(isActorCrashed("ActorCrashed")).toBe(false);
  });
});
