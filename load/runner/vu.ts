/**
 * VU iterations on a shared Node event loop.
 *
 * k6 gives each VU its own JS runtime and event loop; an iteration lasts until the
 * default function has returned AND nothing it started is pending (open sockets,
 * timers). Here many VUs share one process, so each iteration gets an IterationCtx,
 * carried through callbacks by AsyncLocalStorage; k6/websockets and k6/timers register
 * their handles on it, and `__VU`/`__ITER`/k6/execution read it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ScenarioPlan } from "./options.ts";

export type VuState = {
  idInTest: number;
  idInInstance: number;
  /** 1-based index of this VU among its scenario's VUs. */
  indexInScenario: number;
  iterationInScenario: number;
  iterationInInstance: number;
  scenario: ScenarioPlan;
  scenarioStartTime: number;
};

export interface Handle {
  /** Stop at once (interrupted iteration): close sockets hard, clear timers. */
  kill(): void;
}

export class IterationCtx {
  private handles = new Set<Handle>();
  private returned = false;
  private finished = false;
  interrupted = false;
  error: unknown = undefined;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly vu: VuState,
    readonly iter: number,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  hold(h: Handle): void {
    if (this.finished) {
      // Something created after the iteration ended (e.g. from a stray callback) dies at once.
      h.kill();
      return;
    }
    this.handles.add(h);
  }

  release(h: Handle): void {
    if (this.handles.delete(h)) this.maybeFinish();
  }

  markReturned(): void {
    this.returned = true;
    this.maybeFinish();
  }

  /** An exception in VU code ends the iteration, as in k6. */
  fail(e: unknown): void {
    if (this.finished) return;
    this.error ??= e;
    this.interrupt();
  }

  interrupt(): void {
    if (this.finished) return;
    this.interrupted = true;
    this.finished = true;
    for (const h of this.handles) h.kill();
    this.handles.clear();
    this.resolveDone();
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private maybeFinish(): void {
    if (!this.finished && this.returned && this.handles.size === 0) {
      this.finished = true;
      this.resolveDone();
    }
  }
}

export const als = new AsyncLocalStorage<IterationCtx>();

export function currentCtx(): IterationCtx | undefined {
  return als.getStore();
}

/** The ctx of the running VU code; throws like k6 when an API is used in the init context. */
export function requireCtx(api: string): IterationCtx {
  const ctx = als.getStore();
  if (!ctx) throw new Error(`${api} can only be used in VU code (not in the init context)`);
  return ctx;
}

let errorsLogged = 0;
/** Log an error from VU code, at most 20 per process so a broken script does not flood the terminal. */
export function logVuError(ctx: IterationCtx | undefined, e: unknown): void {
  errorsLogged++;
  if (errorsLogged > 20) return;
  const where = ctx ? ` (vu ${ctx.vu.idInTest}, iteration ${ctx.iter}, scenario ${ctx.vu.scenario.name})` : "";
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`ERRO${where}: ${msg}\n`);
  if (errorsLogged === 20) process.stderr.write("ERRO: further VU errors in this process are not printed\n");
}

/** Run `fn` as VU code: errors end the iteration. */
export function guarded<A extends unknown[]>(ctx: IterationCtx, fn: (...a: A) => unknown, ...args: A): void {
  if (ctx.isFinished) return;
  try {
    const r = fn(...args);
    if (r instanceof Promise) r.catch((e) => onVuError(ctx, e));
  } catch (e) {
    onVuError(ctx, e);
  }
}

function onVuError(ctx: IterationCtx, e: unknown): void {
  logVuError(ctx, e);
  ctx.fail(e);
}

/** Install `__VU`, `__ITER` as getters reading the current iteration (0 in the init context, like k6). */
export function installVuGlobals(): void {
  Object.defineProperty(globalThis, "__VU", { get: () => als.getStore()?.vu.idInTest ?? 0, configurable: true });
  Object.defineProperty(globalThis, "__ITER", { get: () => als.getStore()?.iter ?? 0, configurable: true });
}
