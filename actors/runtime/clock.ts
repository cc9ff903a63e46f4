/**
 * Clocks for the actor runtime: `systemClock` for production, `FakeClock` for tests,
 * plus the two waiting helpers the runtime needs (`sleep`, `within`), both driven by an
 * injected clock so that supervisor behaviour is tested without real sleeping.
 */
import type { Clock, TimerHandle } from "./types.ts";

type NativeHandle = ReturnType<typeof globalThis.setTimeout>;

/** Wall-clock time and the runtime's own timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as NativeHandle),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in (due time, creation order);
 * a timer scheduled by a firing timer fires in the same `advance` if it falls due.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, FakeTimer>();

  /** @param startMs initial `now()`; default 0. */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    // Like the platform: negative or NaN delays mean "as soon as possible".
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { at: this.#now + delay, seq: id, fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due, synchronously. */
  advance(ms: number): void {
    const target = this.#target(ms);
    for (let t = this.#due(target); t; t = this.#due(target)) this.#fire(t);
    this.#now = target;
  }

  /**
   * Like `advance`, but flushes microtasks before and after every timer, so promise
   * chains woken by a timer can schedule the next timer before time moves on.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#target(ms);
    await this.flush();
    for (let t = this.#due(target); t; t = this.#due(target)) {
      this.#fire(t);
      await this.flush();
    }
    this.#now = target;
    await this.flush();
  }

  /**
   * Fire timers until none are left, moving time to each. Throws after `limit` timers,
   * because a timer that always reschedules itself would otherwise never end.
   */
  runAll(limit = 10_000): void {
    for (let n = 0, t = this.#due(Infinity); t; t = this.#due(Infinity)) {
      if (++n > limit) throw new RangeError(`runAll: more than ${limit} timers fired; a timer keeps rescheduling`);
      this.#fire(t);
    }
  }

  /** `runAll` with microtask flushing between timers; see `advanceAsync`. */
  async runAllAsync(limit = 10_000): Promise<void> {
    await this.flush();
    for (let n = 0, t = this.#due(Infinity); t; t = this.#due(Infinity)) {
      if (++n > limit) throw new RangeError(`runAllAsync: more than ${limit} timers fired; a timer keeps rescheduling`);
      this.#fire(t);
      await this.flush();
    }
  }

  /**
   * Let pending promise callbacks run. Uses microtasks only (no real timer), so it is
   * deterministic; `rounds` bounds how deep a chain of awaits can progress.
   */
  async flush(rounds = 200): Promise<void> {
    for (let i = 0; i < rounds; i++) await Promise.resolve();
  }

  #target(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: expected a finite ms >= 0, got ${ms}`);
    return this.#now + ms;
  }

  #due(target: number): FakeTimer | undefined {
    let next: FakeTimer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
    }
    return next;
  }

  #fire(t: FakeTimer): void {
    this.#timers.delete(t.seq);
    if (t.at > this.#now) this.#now = t.at;
    t.fn();
  }
}

/**
 * Resolve after `ms` on `clock`, or early when `signal` aborts (resolving, not
 * rejecting: callers check the signal, which keeps shutdown paths free of catch blocks).
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(handle);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const handle = clock.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export type Within<T> = { ok: true; value: T } | { ok: false; error: unknown } | { ok: false; timedOut: true };

/** Wait for `work` at most `ms` on `clock`; never rejects. The timer is cleared when work settles. */
export function within<T>(clock: Clock, work: Promise<T>, ms: number): Promise<Within<T>> {
  return new Promise((resolve) => {
    const handle = Number.isFinite(ms) ? clock.setTimeout(() => resolve({ ok: false, timedOut: true }), ms) : undefined;
    const settle = (r: Within<T>) => {
      if (handle !== undefined) clock.clearTimeout(handle);
      resolve(r);
    };
    work.then((value) => settle({ ok: true, value }), (error: unknown) => settle({ ok: false, error }));
  });
}
