/**
 * Supervised actor runtime for Tickflow actor hosts: actor cells with bounded
 * mailboxes, OTP-style supervisors (one_for_one, one_for_all, rest_for_one) with
 * restart intensity and backoff, and an injectable clock. Web-standard APIs only, so it
 * runs on Node and Deno.
 *
 * @example
 * const root = await runRoot({ children: [{ id: "coalescer", actor: () => coalescer() }] });
 * root.status(); // [{ path: "root", ... }, { path: "root/coalescer", ... }]
 */
export * from "./types.ts";
export { ActorCell, type ActorCellOptions, type SupervisedChild } from "./actor.ts";
export { Backoff, backoffDelay, backoffOptions, type BackoffOptions } from "./backoff.ts";
export { FakeClock, sleep, systemClock, within, type Within } from "./clock.ts";
export {
  ActorCrashed,
  EscalationError,
  errorText,
  isActorCrashed,
  isEscalationError,
  isMailboxFull,
  isShutdownTimeout,
  MailboxFull,
  ShutdownTimeout,
} from "./errors.ts";
export { exitOnGiveUp, exitProcess, type RootOptions, runRoot } from "./root.ts";
export { decide, type DecisionInput, restartSet, restartsWithin, validateSpec } from "./strategy.ts";
export { Supervisor, type SupervisorCounters, type SupervisorOptions } from "./supervisor.ts";
export { type Service, serviceActor, type ServiceActorOptions } from "./service-actor.ts";
