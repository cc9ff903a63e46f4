/** A deadline that lets pending I/O run first: a renewal timeout that an overloaded event loop cannot fake. */
import type { Clock } from "../runtime/mod.ts";

/** Runs `fn` after the event loop has polled its sockets once more (setImmediate runs after the poll phase). */
const afterIo = (fn: () => void): void => {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (si) si(fn);
  else setTimeout(fn, 0);
};

/**
 * `p`, or a rejection with `timeout()` once `ms` have passed on `clock` AND two more
 * rounds of I/O have been read without `p` settling. A turn of the event loop that ran
 * long (a process under overload) thus cannot make a reply that already arrived count
 * as missing: expired timers run before sockets are read.
 */
export function afterIdleDeadline<T>(clock: Clock, p: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const t = clock.setTimeout(() => afterIo(() => afterIo(() => {
      if (!settled) {
        settled = true;
        reject(timeout());
      }
    })), ms);
    p.then(
      (v) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(t);
        reject(e);
      },
    );
  });
}
