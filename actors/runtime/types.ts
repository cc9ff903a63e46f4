/**
 * Public types of the actor runtime: actors, refs, supervisors, clocks.
 *
 * The runtime uses web-standard APIs only (no `node:` imports) so the same code runs
 * on Node 20 and Deno 2. Everything that waits takes its time from an injected
 * {@link Clock}, so supervisor behaviour is tested with a fake clock and no sleeping.
 */
import type { Logger } from "@logtape/logtape";

/** Opaque timer handle returned by a {@link Clock}. */
export type TimerHandle = unknown;

/** Source of time and timers. `systemClock` in production, `FakeClock` in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What a supervisor does about a failed child: values, not hidden side effects. */
export const SupervisionAction = {
  Restart: "restart",
  Stop: "stop",
  Escalate: "escalate",
  Resume: "resume",
} as const;
export type SupervisionAction = (typeof SupervisionAction)[keyof typeof SupervisionAction];

export const RestartStrategy = {
  OneForOne: "one_for_one",
  OneForAll: "one_for_all",
  RestForOne: "rest_for_one",
} as const;
export type RestartStrategy = (typeof RestartStrategy)[keyof typeof RestartStrategy];

/**
 * permanent: always restarted; transient: restarted only after an abnormal exit;
 * temporary: never restarted.
 */
export const RestartType = {
  Permanent: "permanent",
  Transient: "transient",
  Temporary: "temporary",
} as const;
export type RestartType = (typeof RestartType)[keyof typeof RestartType];

export const ActorState = {
  Starting: "starting",
  Running: "running",
  Restarting: "restarting",
  Stopping: "stopping",
  Stopped: "stopped",
  Failed: "failed",
} as const;
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

/** A typed address of an actor: sending a message it does not accept does not compile. */
export interface ActorRef<M> {
  readonly name: string;
  /** Enqueue a message. Returns false (and counts a drop) when the mailbox is full or the actor is not running. */
  tell(msg: M): boolean;
}

/** Handed to every hook of an actor. */
export interface ActorContext<M> {
  readonly name: string;
  readonly self: ActorRef<M>;
  readonly log: Logger;
  readonly clock: Clock;
  /** Aborted when the actor is being stopped or restarted; pass it to everything that waits. */
  readonly signal: AbortSignal;
  /**
   * Report a failure from background work (a consume loop, a timer). The actor is
   * crashed and its supervisor decides what happens next.
   */
  fail(err: unknown): void;
  /**
   * Finish normally: the actor is stopped (its stop hook runs) and its supervisor sees
   * a normal exit, so transient and temporary children are not restarted. Always
   * present on contexts made by the runtime; optional so hand-made test contexts
   * need not provide it.
   */
  complete?(): void;
}

/**
 * The behaviour of an actor. `receive` runs one message at a time; `start` runs before
 * the first message, `stop` after the last. A throw from any hook crashes the actor.
 */
export interface Actor<M> {
  start?(ctx: ActorContext<M>): void | Promise<void>;
  receive?(msg: M, ctx: ActorContext<M>): void | Promise<void>;
  stop?(ctx: ActorContext<M>): void | Promise<void>;
  /** Extra fields for the status report (owned shards, consumer lag, ...). Must be cheap. */
  status?(): Record<string, unknown>;
}

/** How to build and supervise one child. */
export interface ChildSpec {
  id: string;
  /** Default permanent. */
  restart?: RestartType;
  /** How long `stop` may take before the child is abandoned. Default 5000 ms. */
  shutdownMs?: number;
  /** Mailbox capacity for actor children. Default 1000. */
  mailbox?: number;
  /** Either an actor factory (called anew for every (re)start) or a nested supervisor spec. */
  // deno-lint-ignore no-explicit-any
  actor?: () => Actor<never> | Actor<any>;
  supervisor?: SupervisorSpec;
}

export interface SupervisorSpec {
  /** Default one_for_one. */
  strategy?: RestartStrategy;
  /** Restart intensity: more than `maxRestarts` within `periodMs` escalates. Defaults 5 in 60000 ms. */
  maxRestarts?: number;
  periodMs?: number;
  /** Backoff between restarts: base, cap, and the quiet period after which it resets. Defaults 100 ms, 30000 ms, 60000 ms. */
  backoff?: { baseMs?: number; maxMs?: number; resetAfterMs?: number; jitter?: number };
  children: ChildSpec[];
}

/** How a running child ended: `normal` after `ctx.complete()`, `crash` after a failure. */
export type Exit = { type: "normal" } | { type: "crash"; error: unknown };

/** One row of the status report of an actor host. */
export interface ActorStatus {
  /** Path in the tree, e.g. "root/ingest/shard-0". */
  path: string;
  id: string;
  kind: "actor" | "supervisor";
  state: ActorState;
  restarts: number;
  mailboxDepth: number;
  droppedMessages: number;
  lastError?: string;
  startedAt?: number;
  extra?: Record<string, unknown>;
}
