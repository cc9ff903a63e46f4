/** serviceActor(): one wrapper for actors that run a long-running service. */
import { ActorCell } from "./actor.ts";
import { FakeClock } from "./clock.ts";
import { settle } from "./fixtures.ts";
import { serviceActor } from "./service-actor.ts";
import { describe, expect, it } from "./testing.ts";
import { ActorState, type Exit } from "./types.ts";

class FakeService {
  started = 0;
  stopped = 0;
  signal: AbortSignal | undefined;
  constructor(readonly n: number, readonly fail: (err: unknown) => void, private readonly failStart = false) {}
  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    this.started++;
    if (this.failStart) throw new Error("cannot start");
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  status() {
    return { n: this.n };
  }
}

function cellOf(opts: { failStart?: boolean } = {}) {
  const clock = new FakeClock();
  const made: FakeService[] = [];
  const exits: Exit[] = [];
  const c = new ActorCell<never>({
    id: "svc",
    clock,
    factory: () => serviceActor({ create: (_ctx, fail) => (made.push(new FakeService(made.length + 1, fail, opts.failStart)), made.at(-1)!), status: (s) => s.status() }),
  });
  c.onExit = (e) => exits.push(e);
  return { clock, c, made, exits };
}

describe("serviceActor()", () => {
  it("starts a fresh service per (re)start with the actor's signal, stops it, and shows its status", async () => {
    const { c, made } = cellOf();
    await c.start();
    expect(made).toHaveLength(1);
    expect(made[0]!.started).toBe(1);
    expect(made[0]!.signal?.aborted).toBe(false);
    expect(c.describe("root/svc", 0)[0]?.extra).toEqual({ n: 1 });
    await c.stop();
    expect(made[0]!.stopped).toBe(1);
    await c.start();
    expect(made).toHaveLength(2);
    expect(c.describe("root/svc", 0)[0]?.extra).toEqual({ n: 2 });
  });

  it("reports a background failure to the supervisor as a crash and stops the service", async () => {
    const { clock, c, made, exits } = cellOf();
    await c.start();
    made[0]!.fail(new Error("consumer died"));
    await clock.flush();
    expect(c.state).toBe(ActorState.Failed);
    expect(exits.map((e) => e.type)).toEqual(["crash"]);
    expect(made[0]!.stopped).toBe(1);
  });

  it("stops a service whose start failed, and ignores a failure reported after stop", async () => {
    const failing = cellOf({ failStart: true });
    const started = settle(failing.c.start());
    await failing.clock.flush();
    expect(started.current.done && !started.current.ok).toBe(true);
    expect(failing.made[0]!.stopped).toBe(1);

    const { c, made, exits } = cellOf();
    await c.start();
    await c.stop();
    made[0]!.fail(new Error("late"));
    expect(c.state).toBe(ActorState.Stopped);
    expect(exits).toHaveLength(0); // a stop asked for by the supervisor is no exit to report
  });
});
