/**
 * Runs one scenario's VUs in this worker process, following k6's executors:
 * constant-vus, ramping-vus (VU i runs while the ramp target ≥ i), per-vu-iterations
 * and shared-iterations (the iterations are pre-split over VUs, since processes do not
 * share a pool). Every scenario starts at the same wall-clock time on every worker.
 */
import { setImmediate as yieldLoop, setTimeout as delay } from "node:timers/promises";
import { instance } from "./instance.ts";
import { rampingTarget, type ScenarioPlan } from "./options.ts";
import { registry } from "./registry.ts";
import { als, IterationCtx, logVuError, type VuState } from "./vu.ts";

registry.define("iterations", "counter");
registry.define("iteration_duration", "trend", "time");

export type VuFn = (data?: unknown) => unknown;

export class ScenarioRun {
  private running = new Map<VuState, IterationCtx>();
  private active = new Set<VuState>();
  private loops = new Set<Promise<void>>();
  private stopped = false;
  private t0 = 0;

  constructor(
    readonly plan: ScenarioPlan,
    readonly vus: VuState[],
    private fn: VuFn,
    private data: unknown,
  ) {}

  /** Resolves when every local VU of this scenario has finished. */
  async run(testStart: number): Promise<void> {
    const wait = testStart + this.plan.startMs - Date.now();
    if (wait > 0) await delay(wait);
    if (this.stopped || this.vus.length === 0) return;
    this.t0 = testStart + this.plan.startMs;
    for (const vu of this.vus) vu.scenarioStartTime = this.t0;
    const p = this.plan;
    const end = this.t0 + p.durationMs;
    const hardStop = setTimeout(() => this.interruptAll(), Math.max(0, end + p.gracefulStopMs - Date.now()));
    try {
      switch (p.executor) {
        case "constant-vus":
          for (const vu of this.vus) this.startLoop(vu, () => Date.now() < end);
          break;
        case "per-vu-iterations":
          for (const vu of this.vus) this.startLoop(vu, () => vu.iterationInScenario < p.iterations && Date.now() < end);
          break;
        case "shared-iterations": {
          let pool = this.localShare();
          for (const vu of this.vus) this.startLoop(vu, () => Date.now() < end && pool-- > 0);
          break;
        }
        case "ramping-vus":
          await this.ramp(end);
          break;
      }
      while (this.loops.size) await Promise.all([...this.loops]);
    } finally {
      clearTimeout(hardStop);
    }
  }

  /** Stop now: no new iterations, running ones interrupted. */
  stop(): void {
    this.stopped = true;
    this.interruptAll();
  }

  private interruptAll(): void {
    this.active.clear();
    for (const ctx of this.running.values()) ctx.interrupt();
  }

  private localShare(): number {
    const { iterations, vus } = this.plan;
    const base = Math.floor(iterations / vus);
    const extra = iterations % vus;
    return this.vus.reduce((n, vu) => n + base + (vu.indexInScenario <= extra ? 1 : 0), 0);
  }

  private async ramp(end: number): Promise<void> {
    const p = this.plan;
    const rampDownTimers = new Map<VuState, NodeJS.Timeout>();
    while (!this.stopped && Date.now() < end) {
      const target = rampingTarget(p, Date.now() - this.t0);
      for (const vu of this.vus) {
        const want = vu.indexInScenario <= target;
        if (want && !this.active.has(vu)) {
          clearTimeout(rampDownTimers.get(vu));
          if (!this.running.has(vu) && !this.isLooping(vu)) this.startLoop(vu, () => this.active.has(vu) && Date.now() < end);
          else this.active.add(vu); // reactivated while finishing its last iteration
        } else if (!want && this.active.has(vu)) {
          // Ramping down: finish the iteration within gracefulRampDown, then interrupt it.
          this.active.delete(vu);
          rampDownTimers.set(vu, setTimeout(() => this.running.get(vu)?.interrupt(), p.gracefulRampDownMs));
        }
      }
      await delay(Math.min(100, Math.max(1, end - Date.now())));
    }
    for (const t of rampDownTimers.values()) clearTimeout(t);
  }

  private looping = new Set<VuState>();
  private isLooping(vu: VuState): boolean {
    return this.looping.has(vu);
  }

  private startLoop(vu: VuState, more: () => boolean): void {
    this.active.add(vu);
    this.looping.add(vu);
    const loop = (async () => {
      instance.vusActive++;
      try {
        while (!this.stopped && more()) {
          await this.iterate(vu);
          await yieldLoop(); // an iteration that returns at once must not starve the sockets
        }
      } finally {
        instance.vusActive--;
        this.looping.delete(vu);
        this.active.delete(vu);
      }
    })();
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  private async iterate(vu: VuState): Promise<void> {
    const ctx = new IterationCtx(vu, vu.iterationInScenario);
    this.running.set(vu, ctx);
    const started = performance.now();
    als.run(ctx, () => {
      try {
        const r = this.fn(this.data);
        if (r instanceof Promise) r.then(() => ctx.markReturned(), (e) => this.failed(ctx, e));
        else ctx.markReturned();
      } catch (e) {
        this.failed(ctx, e);
      }
    });
    await ctx.done;
    this.running.delete(vu);
    vu.iterationInScenario++;
    vu.iterationInInstance++;
    const tags = { scenario: this.plan.name };
    if (ctx.interrupted) instance.iterationsInterrupted++;
    if (!ctx.interrupted || ctx.error !== undefined) {
      // k6 counts failed iterations but not those cut off by a graceful stop.
      instance.iterationsCompleted++;
      registry.add("iterations", 1, tags);
      registry.add("iteration_duration", performance.now() - started, tags);
    }
  }

  private failed(ctx: IterationCtx, e: unknown): void {
    logVuError(ctx, e);
    ctx.fail(e);
  }
}
