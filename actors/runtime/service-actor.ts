/**
 * The one wrapper for actors that run a long-running service (a consumer, a leader
 * loop, upstream connections): a fresh service per (re)start, started with the actor's
 * signal, stopped by the actor's stop hook (also after a failed start, so a half-started
 * service lets go of what it holds), its status in the actor's status row, and any
 * failure of its background work reported to the supervisor, which then decides
 * (restart, escalate, …) as for a crash.
 *
 *   serviceActor({
 *     create: (ctx, fail) => new ConsumerService({ ..., onError: fail }),
 *     status: (svc) => svc.status(),
 *   })
 */
import type { Actor, ActorContext } from "./types.ts";

/** What the wrapper needs of a service. `start` may ignore the signal; a service started by `create` has none. */
export interface Service {
  start?(signal: AbortSignal): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface ServiceActorOptions<S extends Service> {
  /**
   * Build this (re)start's service. `fail(err)` is for its background work: the actor
   * is crashed and the supervisor decides what follows; calls after the actor stopped
   * are ignored. A throw (or rejection) crashes the start.
   */
  create(ctx: ActorContext<never>, fail: (err: unknown) => void): S | Promise<S>;
  /** Extra fields for the actor's status row (`{}` before the first start). */
  status(svc: S): Record<string, unknown>;
}

export function serviceActor<S extends Service>(opts: ServiceActorOptions<S>): Actor<never> {
  let svc: S | undefined;
  return {
    async start(ctx) {
      svc = undefined;
      const created = await opts.create(ctx, (err) => ctx.fail(err));
      svc = created;
      await created.start?.(ctx.signal);
    },
    async stop() {
      await svc?.stop();
    },
    status: () => (svc ? opts.status(svc) : {}),
  };
}
