/**
 * Test doubles shared by the runtime's tests: a scripted actor that writes its
 * lifecycle into a journal, and `settle` for watching a promise without risking an
 * unhandled rejection while a fake clock drives it.
 */
import type { Actor, ActorContext } from "./types.ts";

/** Messages the scripted actor understands. */
export type Cmd = "crash" | "complete" | "fail-later" | string;

export interface Script {
  /** Throw from start (every time, or only the first n starts). */
  failStart?: boolean | number;
  /** Make start take this long on the actor's clock. */
  startMs?: number;
  /** The stop hook never resolves. */
  hangStop?: boolean;
  /** Extra work per message, after it is journaled. */
  receive?: (msg: Cmd, ctx: ActorContext<Cmd>) => void | Promise<void>;
  status?: () => Record<string, unknown>;
}

/**
 * An actor factory that journals "<id>:start", "<id>:msg:<m>" and "<id>:stop". Messages
 * "crash" throw, "complete" ends normally, "fail-later" calls ctx.fail from a timer.
 */
export function scripted(id: string, journal: string[], script: Script = {}): () => Actor<Cmd> {
  let starts = 0;
  return () => ({
    async start(ctx) {
      starts++;
      journal.push(`${id}:start`);
      if (script.startMs) await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, script.startMs ?? 0));
      const fail = script.failStart;
      if (fail === true || (typeof fail === "number" && starts <= fail)) throw new Error(`${id} cannot start`);
    },
    async receive(msg, ctx) {
      journal.push(`${id}:msg:${msg}`);
      if (msg === "crash") throw new Error(`${id} crashed on purpose`);
      if (msg === "complete") ctx.complete?.();
      if (msg === "fail-later") ctx.clock.setTimeout(() => ctx.fail(new Error(`${id} background failure`)), 10);
      await script.receive?.(msg, ctx);
    },
    stop() {
      journal.push(`${id}:stop`);
      if (script.hangStop) return new Promise<void>(() => {});
    },
    status: script.status,
  });
}

export type Settled<T> = { done: false } | { done: true; ok: true; value: T } | { done: true; ok: false; error: unknown };

/** Track a promise's outcome; reading `.current` never throws and nothing goes unhandled. */
export function settle<T>(p: Promise<T>): { readonly current: Settled<T> } {
  const box: { current: Settled<T> } = { current: { done: false } };
  p.then(
    (value) => (box.current = { done: true, ok: true, value }),
    (error: unknown) => (box.current = { done: true, ok: false, error }),
  );
  return box;
}
