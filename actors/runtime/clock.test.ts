/** Tests of FakeClock and the clock-driven helpers sleep() and within(). */
import { FakeClock, sleep, within } from "./clock.ts";
import { describe, expect, it } from "./testing.ts";

describe("FakeClock", () => {
  it("fires due timers in time order, then creation order", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@20"), 20);
    clock.setTimeout(() => fired.push("a@10"), 10);
    clock.setTimeout(() => fired.push("c@20"), 20);
    clock.setTimeout(() => fired.push("d@30"), 30);
    clock.advance(20);
    expect(fired).toEqual(["a@10", "b@20", "c@20"]);
    expect(clock.now()).toBe(20);
    expect(clock.pending()).toBe(1);
  });

  it("fires timers scheduled by fired timers when they fall due in the same advance", () => {
    const clock = new FakeClock(1000);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 10);
    clock.advance(15);
    expect(fired).toEqual([1010, 1015]);
  });

  it("does not fire a cleared timer", () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(handle);
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it("runAll() fires every timer and stops a timer that reschedules forever", () => {
    const clock = new FakeClock();
    clock.setTimeout(() => {}, 500);
    clock.runAll();
    expect(clock.now()).toBe(500);
    const forever = () => void clock.setTimeout(forever, 1);
    forever();
    expect(() => clock.runAll(100)).toThrow(RangeError);
  });

  it("advanceAsync() lets promise chains woken by timers schedule their next timer", async () => {
    const clock = new FakeClock();
    const steps: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(clock, 100);
        await Promise.resolve();
        steps.push(clock.now());
      }
    };
    const done = loop();
    await clock.advanceAsync(300);
    await done;
    expect(steps).toEqual([100, 200, 300]);
  });

  it("rejects a negative advance", () => {
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
  });
});

describe("sleep()", () => {
  it("resolves early and clears its timer when the signal aborts", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const slept = sleep(clock, 1000, controller.signal);
    expect(clock.pending()).toBe(1);
    controller.abort();
    await slept;
    expect(clock.pending()).toBe(0);
    expect(clock.now()).toBe(0);
  });
});

describe("within()", () => {
  it("reports a timeout when work does not settle in time", async () => {
    const clock = new FakeClock();
    const result = within(clock, new Promise(() => {}), 50);
    await clock.advanceAsync(50);
    expect(await result).toEqual({ ok: false, timedOut: true });
  });

  it("returns the value and clears its timer when work settles in time", async () => {
    const clock = new FakeClock();
    expect(await within(clock, Promise.resolve(7), 50)).toEqual({ ok: true, value: 7 });
    expect(clock.pending()).toBe(0);
  });

  it("returns the error of failed work instead of rejecting", async () => {
    const clock = new FakeClock();
    const boom = new Error("boom");
    expect(await within(clock, Promise.reject(boom), 50)).toEqual({ ok: false, error: boom });
  });
});
