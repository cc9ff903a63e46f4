/**
 * Supervision decisions as pure functions: what to do about an exited child
 * (`decide`), which children a restart touches (`restartSet`), and whether a spec can
 * work at all (`validateSpec`). The supervisor only carries the decisions out, so the
 * policy is tested without any actors running.
 */
import { type Exit, RestartStrategy, RestartType, SupervisionAction, type SupervisorSpec } from "./types.ts";

export interface DecisionInput {
  /** The exited child's restart type. */
  restart: RestartType;
  exit: Exit["type"];
  now: number;
  /** Times of this supervisor's earlier restarts (any child); older ones are ignored. */
  restartTimes: readonly number[];
  maxRestarts: number;
  periodMs: number;
}

/**
 * Restart, stop or escalate. Temporary children are never restarted and transient ones
 * only after a crash; a restart that would make more than `maxRestarts` within
 * `periodMs` escalates instead (the supervisor gives up).
 */
export function decide(input: DecisionInput): SupervisionAction {
  if (input.restart === RestartType.Temporary) return SupervisionAction.Stop;
  if (input.restart === RestartType.Transient && input.exit === "normal") return SupervisionAction.Stop;
  const recent = restartsWithin(input.restartTimes, input.now, input.periodMs);
  return recent + 1 > input.maxRestarts ? SupervisionAction.Escalate : SupervisionAction.Restart;
}

/** How many of `times` fall within the last `periodMs` before `now`. */
export function restartsWithin(times: readonly number[], now: number, periodMs: number): number {
  return times.filter((t) => now - t < periodMs).length;
}

/** Indexes of the children restarted when child `failed` of `count` exits, in start order. */
export function restartSet(strategy: RestartStrategy, failed: number, count: number): number[] {
  if (!Number.isInteger(failed) || failed < 0 || failed >= count) {
    throw new RangeError(`restartSet: expected a child index in 0..${count - 1}, got ${failed}`);
  }
  const all = Array.from({ length: count }, (_, i) => i);
  switch (strategy) {
    case RestartStrategy.OneForOne:
      return [failed];
    case RestartStrategy.OneForAll:
      return all;
    case RestartStrategy.RestForOne:
      return all.slice(failed);
  }
}

/** Throw TypeError/RangeError for a supervisor spec that cannot work (bad numbers, duplicate or missing ids). */
export function validateSpec(id: string, spec: SupervisorSpec, strategy: string, maxRestarts: number, periodMs: number): void {
  if (!Object.values(RestartStrategy).includes(strategy as RestartStrategy)) {
    throw new TypeError(`${id}: strategy must be one of ${Object.values(RestartStrategy).join(", ")}, got ${strategy}`);
  }
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new RangeError(`${id}: maxRestarts must be an integer >= 0, got ${maxRestarts}`);
  if (!(periodMs > 0)) throw new RangeError(`${id}: periodMs must be > 0, got ${periodMs}`);
  const seen = new Set<string>();
  for (const c of spec.children) {
    if (!c.id || c.id.includes("/")) throw new TypeError(`${id}: child id must be non-empty without "/", got "${c.id}"`);
    if (seen.has(c.id)) throw new TypeError(`${id}: duplicate child id "${c.id}"`);
    seen.add(c.id);
    if (!c.actor === !c.supervisor) throw new TypeError(`${id}/${c.id}: expected exactly one of actor or supervisor`);
    if (c.restart !== undefined && !Object.values(RestartType).includes(c.restart)) {
      throw new TypeError(`${id}/${c.id}: restart must be one of ${Object.values(RestartType).join(", ")}, got ${c.restart}`);
    }
  }
}
