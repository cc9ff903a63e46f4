/**
 * Turns a script's `options` (plus the CLI shortcuts) into scenario plans the workers
 * execute: k6's executors constant-vus, ramping-vus, per-vu-iterations and
 * shared-iterations, with k6's defaults (gracefulStop 30s, gracefulRampDown 30s,
 * maxDuration 10m, exec "default").
 */
import { parseDuration } from "./duration.ts";

export class OptionsError extends Error {
  override name = "OptionsError";
}
export const isOptionsError = (e: unknown): e is OptionsError => e instanceof OptionsError;

export type Executor = "constant-vus" | "ramping-vus" | "per-vu-iterations" | "shared-iterations";
export type Stage = { durationMs: number; target: number };

export type ScenarioPlan = {
  name: string;
  executor: Executor;
  startMs: number;
  gracefulStopMs: number;
  exec: string;
  env: Record<string, string>;
  tags: Record<string, string>;
  /** The most VUs this scenario runs at once; its VUs have ids firstVuId … firstVuId + vus − 1. */
  vus: number;
  firstVuId: number;
  durationMs: number;
  startVUs: number;
  stages: Stage[];
  gracefulRampDownMs: number;
  iterations: number;
  maxDurationMs: number;
};

export type CliShortcuts = { vus?: number; duration?: string; iterations?: number };

type RawScenario = Record<string, unknown>;

const num = (v: unknown, what: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new OptionsError(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
};
const dur = (v: unknown, what: string, dflt: string): number => {
  try {
    return parseDuration(v === undefined ? dflt : (v as string));
  } catch (e) {
    throw new OptionsError(`${what}: ${(e as Error).message}`, { cause: e });
  }
};
const strMap = (v: unknown, what: string): Record<string, string> => {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null) throw new OptionsError(`${what} must be an object of strings`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
};

/** The scenarios to run: the script's, or one default scenario built from the shortcuts. */
export function rawScenarios(options: Record<string, unknown>, cli: CliShortcuts): Record<string, RawScenario> {
  if (options.scenarios !== undefined) {
    if (typeof options.scenarios !== "object" || options.scenarios === null) throw new OptionsError("options.scenarios must be an object");
    return options.scenarios as Record<string, RawScenario>;
  }
  const vus = cli.vus ?? options.vus;
  const duration = cli.duration ?? options.duration;
  const iterations = cli.iterations ?? options.iterations;
  if (options.stages !== undefined && cli.duration === undefined) {
    return { default: { executor: "ramping-vus", startVUs: vus ?? 1, stages: options.stages } };
  }
  if (duration !== undefined && iterations === undefined) {
    return { default: { executor: "constant-vus", vus: vus ?? 1, duration } };
  }
  if (iterations !== undefined) {
    return { default: { executor: "shared-iterations", vus: vus ?? 1, iterations, ...(duration ? { maxDuration: duration } : {}) } };
  }
  return { default: { executor: "per-vu-iterations", vus: vus ?? 1, iterations: 1 } };
}

export function planScenarios(options: Record<string, unknown>, cli: CliShortcuts = {}): ScenarioPlan[] {
  const plans: ScenarioPlan[] = [];
  let nextVu = 1;
  for (const [name, sc] of Object.entries(rawScenarios(options, cli))) {
    const at = `scenario "${name}"`;
    const executor = sc.executor as string;
    const base = {
      name,
      startMs: dur(sc.startTime, `${at} startTime`, "0s"),
      gracefulStopMs: dur(sc.gracefulStop, `${at} gracefulStop`, "30s"),
      exec: typeof sc.exec === "string" ? sc.exec : "default",
      env: strMap(sc.env, `${at} env`),
      tags: strMap(sc.tags, `${at} tags`),
      firstVuId: nextVu,
      durationMs: 0,
      startVUs: 0,
      stages: [] as Stage[],
      gracefulRampDownMs: 0,
      iterations: 0,
      maxDurationMs: 0,
    };
    let plan: ScenarioPlan;
    switch (executor) {
      case "constant-vus":
        plan = { ...base, executor, vus: num(sc.vus, `${at} vus`, 1), durationMs: dur(sc.duration, `${at} duration`, "") };
        break;
      case "ramping-vus": {
        if (!Array.isArray(sc.stages) || sc.stages.length === 0) throw new OptionsError(`${at}: ramping-vus needs stages`);
        const stages = sc.stages.map((s: { duration?: unknown; target?: unknown }, i: number) => ({
          durationMs: dur(s.duration, `${at} stage ${i} duration`, ""),
          target: num(s.target, `${at} stage ${i} target`, 0),
        }));
        const startVUs = num(sc.startVUs, `${at} startVUs`, 1);
        plan = {
          ...base,
          executor,
          startVUs,
          stages,
          vus: Math.max(startVUs, ...stages.map((s) => s.target)),
          durationMs: stages.reduce((a, s) => a + s.durationMs, 0),
          gracefulRampDownMs: dur(sc.gracefulRampDown, `${at} gracefulRampDown`, "30s"),
        };
        break;
      }
      case "per-vu-iterations":
      case "shared-iterations": {
        const vus = num(sc.vus, `${at} vus`, 1);
        const iterations = num(sc.iterations, `${at} iterations`, 1);
        if (executor === "shared-iterations" && iterations < vus) throw new OptionsError(`${at}: iterations (${iterations}) must be ≥ vus (${vus})`);
        const maxDurationMs = dur(sc.maxDuration, `${at} maxDuration`, "10m");
        plan = { ...base, executor, vus, iterations, maxDurationMs, durationMs: maxDurationMs };
        break;
      }
      default:
        throw new OptionsError(
          `${at}: executor ${JSON.stringify(executor)} is not supported by this runner (use constant-vus, ramping-vus, per-vu-iterations or shared-iterations)`,
        );
    }
    if (plan.vus === 0) throw new OptionsError(`${at}: needs at least one VU`);
    nextVu += plan.vus;
    plans.push(plan);
  }
  if (plans.length === 0) throw new OptionsError("options.scenarios is empty");
  return plans;
}

/** VUs active at `t` ms into a ramping-vus scenario (linear between stage targets, rounded down). */
export function rampingTarget(plan: Pick<ScenarioPlan, "startVUs" | "stages">, t: number): number {
  let from = plan.startVUs;
  let at = 0;
  for (const s of plan.stages) {
    if (t < at + s.durationMs) return Math.floor(from + ((s.target - from) * (t - at)) / s.durationMs);
    at += s.durationMs;
    from = s.target;
  }
  return from;
}

/** When the test is expected to end (ms after start), not counting graceful stops. */
export function plannedDurationMs(plans: ScenarioPlan[]): number {
  return Math.max(...plans.map((p) => p.startMs + p.durationMs));
}

/** The latest the test can end: every scenario's end plus its gracefulStop. */
export function hardDeadlineMs(plans: ScenarioPlan[]): number {
  return Math.max(...plans.map((p) => p.startMs + p.durationMs + p.gracefulStopMs));
}
