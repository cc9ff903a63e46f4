/**
 * Named errors of the actor runtime. Each sets `name`, carries `{ cause }` and has an
 * `isX(e)` guard; the guards check `name` too, so they still work when two copies of
 * this module are loaded (npm + Deno cache) and `instanceof` would fail.
 */

/** An actor's hook threw, or it called `ctx.fail(err)`. `cause` is the original error. */
export class ActorCrashed extends Error {
  override readonly name = "ActorCrashed";
  constructor(readonly actor: string, options?: { cause?: unknown }) {
    super(`actor ${actor} crashed: ${errorText(options?.cause)}`, options);
  }
}

/** A supervisor exceeded its restart intensity and gave up; `cause` is the last failure. */
export class EscalationError extends Error {
  override readonly name = "EscalationError";
  constructor(readonly supervisor: string, message: string, options?: { cause?: unknown }) {
    super(`supervisor ${supervisor} gave up: ${message}`, options);
  }
}

/** A message could not be enqueued because the mailbox was at capacity. */
export class MailboxFull extends Error {
  override readonly name = "MailboxFull";
  constructor(readonly actor: string, readonly capacity: number, options?: { cause?: unknown }) {
    super(`mailbox of ${actor} is full (capacity ${capacity})`, options);
  }
}

/** A stop hook did not finish within its shutdown budget and was abandoned. */
export class ShutdownTimeout extends Error {
  override readonly name = "ShutdownTimeout";
  constructor(readonly actor: string, readonly timeoutMs: number, options?: { cause?: unknown }) {
    super(`actor ${actor} did not stop within ${timeoutMs} ms; abandoned`, options);
  }
}

const is = (e: unknown, name: string): boolean => e instanceof Error && e.name === name;

export const isActorCrashed = (e: unknown): e is ActorCrashed => is(e, "ActorCrashed");
export const isEscalationError = (e: unknown): e is EscalationError => is(e, "EscalationError");
export const isMailboxFull = (e: unknown): e is MailboxFull => is(e, "MailboxFull");
export const isShutdownTimeout = (e: unknown): e is ShutdownTimeout => is(e, "ShutdownTimeout");

/** One-line text of any thrown value, for messages and status rows. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
