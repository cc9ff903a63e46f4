/**
 * `k6/timers`: setTimeout/clearTimeout/setInterval/clearInterval. A pending timer keeps
 * its VU's iteration alive (as in k6's event loop) and is cleared when the iteration is
 * interrupted. Ids are numbers, as in k6.
 */
import { currentCtx, guarded, type Handle, type IterationCtx } from "../vu.ts";

type Entry = { timer: NodeJS.Timeout; handle: Handle; ctx: IterationCtx | undefined; repeat: boolean };
const timers = new Map<number, Entry>();
let nextId = 1;

function start(repeat: boolean, fn: (...a: unknown[]) => void, delay: number, args: unknown[]): number {
  if (typeof fn !== "function") throw new TypeError(`${repeat ? "setInterval" : "setTimeout"}: first argument must be a function`);
  const ctx = currentCtx();
  const id = nextId++;
  const handle: Handle = { kill: () => stop(id) };
  const tick = () => {
    if (!repeat) timers.delete(id);
    if (ctx) guarded(ctx, fn, ...args);
    else fn(...args);
    // Released after the callback, so handles it creates keep the iteration going.
    if (!repeat) ctx?.release(handle);
  };
  const ms = Math.max(0, Number(delay) || 0);
  const timer = repeat ? globalThis.setInterval(tick, Math.max(1, ms)) : globalThis.setTimeout(tick, ms);
  timers.set(id, { timer, handle, ctx, repeat });
  ctx?.hold(handle);
  return id;
}

function stop(id: number): void {
  const e = timers.get(id);
  if (!e) return;
  timers.delete(id);
  if (e.repeat) globalThis.clearInterval(e.timer);
  else globalThis.clearTimeout(e.timer);
  e.ctx?.release(e.handle);
}

export function setTimeout(fn: (...a: unknown[]) => void, delay = 0, ...args: unknown[]): number {
  return start(false, fn, delay, args);
}
export function setInterval(fn: (...a: unknown[]) => void, delay = 0, ...args: unknown[]): number {
  return start(true, fn, delay, args);
}
export function clearTimeout(id: number): void {
  stop(id);
}
export function clearInterval(id: number): void {
  stop(id);
}

export default { setTimeout, setInterval, clearTimeout, clearInterval };
