/**
 * The actor cell: one supervised actor with a bounded mailbox that runs its hooks one at
 * a time. The cell outlives restarts (its ref stays valid); every (re)start builds a
 * fresh actor from the factory, with a fresh context and AbortSignal ("incarnation"),
 * so late callbacks from a previous incarnation cannot touch the new one.
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { systemClock, within } from "./clock.ts";
import { ActorCrashed, errorText, MailboxFull, ShutdownTimeout } from "./errors.ts";
import { type Actor, type ActorContext, type ActorRef, ActorState, type ActorStatus, type Clock, type Exit } from "./types.ts";

/** What a supervisor needs from a child, whether an actor cell or a nested supervisor. */
export interface SupervisedChild {
  readonly id: string;
  readonly state: ActorState;
  /** Called once per exit after a successful start (crash or normal); never for `stop()`. */
  onExit: ((exit: Exit) => void) | undefined;
  /** Resolves once running; rejects (ActorCrashed / EscalationError) if it could not start. */
  start(): Promise<void>;
  /** Stops and releases the child; never rejects. */
  stop(): Promise<void>;
  /** Status rows, this child first; `restarts` is counted by the supervisor. */
  describe(path: string, restarts: number): ActorStatus[];
}

export interface ActorCellOptions<M> {
  id: string;
  /** Called anew for every (re)start. */
  factory: () => Actor<M>;
  /** Mailbox capacity. Default 1000. */
  mailbox?: number;
  /** Budget for the stop hook (after any in-flight message). Default 5000 ms. */
  shutdownMs?: number;
  clock?: Clock;
}

type Interrupt = { kind: "crash"; error: unknown } | { kind: "stop" };

interface Incarnation<M> {
  actor: Actor<M>;
  readonly ctx: ActorContext<M>;
  readonly controller: AbortController;
  /** The hook call in flight (start or receive), settled either way. */
  busy: Promise<unknown>;
  draining: boolean;
  completeRequested: boolean;
  readonly interrupt: (why: Interrupt) => void;
  readonly interrupted: Promise<Interrupt>;
  teardown?: Promise<void>;
}

export class ActorCell<M> implements SupervisedChild {
  readonly id: string;
  readonly ref: ActorRef<M>;
  onExit: ((exit: Exit) => void) | undefined;
  readonly #factory: () => Actor<M>;
  readonly #capacity: number;
  readonly #shutdownMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  #state: ActorState = ActorState.Stopped;
  #inc: Incarnation<M> | undefined;
  #queue: M[] = [];
  #dropped = 0;
  #lastError: string | undefined;
  #startedAt: number | undefined;

  /** Throws RangeError for a mailbox capacity below 1 or a negative shutdownMs. */
  constructor(opts: ActorCellOptions<M>) {
    this.id = opts.id;
    this.#factory = opts.factory;
    this.#capacity = opts.mailbox ?? 1000;
    this.#shutdownMs = opts.shutdownMs ?? 5000;
    this.#clock = opts.clock ?? systemClock;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 1) {
      throw new RangeError(`${opts.id}: mailbox capacity must be an integer >= 1, got ${this.#capacity}`);
    }
    if (!(this.#shutdownMs >= 0)) throw new RangeError(`${opts.id}: shutdownMs must be >= 0, got ${this.#shutdownMs}`);
    this.ref = { name: opts.id, tell: (msg) => this.tell(msg) };
    this.#log = getLogger(["tickflow", opts.id]);
  }

  get state(): ActorState {
    return this.#state;
  }

  get mailboxDepth(): number {
    return this.#queue.length;
  }

  get droppedMessages(): number {
    return this.#dropped;
  }

  /** Enqueue; false (and a counted drop) when full or not starting/running. */
  tell(msg: M): boolean {
    const inc = this.#inc;
    const accepting = this.#state === ActorState.Running || this.#state === ActorState.Starting;
    if (!inc || !accepting || this.#queue.length >= this.#capacity) {
      this.#drop(accepting ? "mailbox full" : "not running");
      return false;
    }
    this.#queue.push(msg);
    if (this.#state === ActorState.Running) this.#schedule(inc);
    return true;
  }

  async start(): Promise<void> {
    if (this.#state === ActorState.Running || this.#state === ActorState.Starting) return;
    // The previous incarnation must release what it holds (sockets, leases) first.
    await this.#inc?.teardown;
    const inc = this.#incarnation();
    this.#inc = inc;
    this.#queue = [];
    this.#state = ActorState.Starting;
    const hook = (async () => {
      inc.actor = this.#factory();
      await inc.actor.start?.(inc.ctx);
    })();
    inc.busy = hook.catch(() => {});
    const outcome = await Promise.race([hook.then(() => undefined, (error: unknown) => ({ kind: "crash", error }) as const), inc.interrupted]);
    if (outcome?.kind === "stop") return; // stop() owns the teardown
    if (outcome?.kind === "crash") {
      this.#state = ActorState.Failed;
      this.#lastError = errorText(outcome.error);
      this.#log.error("{id} failed to start: {error}", { id: this.id, error: outcome.error });
      // The stop hook runs after a failed start too, so partial setup is released.
      await this.#teardown(inc, outcome.error);
      throw new ActorCrashed(this.id, { cause: outcome.error });
    }
    this.#state = ActorState.Running;
    this.#startedAt = this.#clock.now();
    this.#log.debug("{id} started", { id: this.id });
    if (inc.completeRequested) this.#complete(inc);
    else if (this.#queue.length > 0) this.#schedule(inc);
  }

  async stop(): Promise<void> {
    const inc = this.#inc;
    if (!inc) return;
    if (this.#state !== ActorState.Running && this.#state !== ActorState.Starting) {
      await inc.teardown; // a crash or completion may still be cleaning up
      return;
    }
    this.#state = ActorState.Stopping;
    inc.interrupt({ kind: "stop" });
    await this.#teardown(inc, new DOMException(`${this.id} is stopping`, "AbortError"));
    if (this.#inc === inc && this.#state === ActorState.Stopping) this.#state = ActorState.Stopped;
  }

  describe(path: string, restarts: number): ActorStatus[] {
    const row: ActorStatus = {
      path,
      id: this.id,
      kind: "actor",
      state: this.#state,
      restarts,
      mailboxDepth: this.#queue.length,
      droppedMessages: this.#dropped,
    };
    if (this.#lastError !== undefined) row.lastError = this.#lastError;
    if (this.#startedAt !== undefined) row.startedAt = this.#startedAt;
    const extra = this.#extra();
    if (extra) row.extra = extra;
    return [row];
  }

  #incarnation(): Incarnation<M> {
    let interrupt: (why: Interrupt) => void = () => {};
    const interrupted = new Promise<Interrupt>((resolve) => (interrupt = resolve));
    const controller = new AbortController();
    const inc: Incarnation<M> = {
      actor: {},
      controller,
      busy: Promise.resolve(),
      draining: false,
      completeRequested: false,
      interrupt,
      interrupted,
      ctx: {
        name: this.id,
        self: this.ref,
        log: this.#log,
        clock: this.#clock,
        signal: controller.signal,
        fail: (err) => this.#crash(inc, err),
        complete: () => this.#complete(inc),
      },
    };
    return inc;
  }

  #schedule(inc: Incarnation<M>): void {
    if (inc.draining) return;
    inc.draining = true;
    // A microtask, not a direct call: the sender's stack must not run our receive.
    queueMicrotask(() => void this.#drain(inc));
  }

  async #drain(inc: Incarnation<M>): Promise<void> {
    try {
      while (this.#inc === inc && this.#state === ActorState.Running && this.#queue.length > 0) {
        const msg = this.#queue.shift() as M;
        const work = (async () => await inc.actor.receive?.(msg, inc.ctx))(); // sync throws become rejections
        inc.busy = work.catch(() => {});
        try {
          await work;
        } catch (err) {
          this.#crash(inc, err);
          return;
        }
      }
    } finally {
      inc.draining = false;
    }
  }

  #crash(inc: Incarnation<M>, error: unknown): void {
    if (inc !== this.#inc) return; // late failure of a previous incarnation
    if (this.#state === ActorState.Starting) return inc.interrupt({ kind: "crash", error });
    if (this.#state !== ActorState.Running) return;
    this.#state = ActorState.Failed;
    this.#lastError = errorText(error);
    this.#log.error("{id} crashed: {error}", { id: this.id, error });
    void this.#teardown(inc, error).then(() => this.onExit?.({ type: "crash", error: new ActorCrashed(this.id, { cause: error }) }));
  }

  #complete(inc: Incarnation<M>): void {
    if (inc !== this.#inc) return;
    if (this.#state === ActorState.Starting) {
      inc.completeRequested = true;
      return;
    }
    if (this.#state !== ActorState.Running) return;
    this.#state = ActorState.Stopping;
    this.#log.info("{id} completed", { id: this.id });
    void this.#teardown(inc, new DOMException(`${this.id} completed`, "AbortError")).then(() => {
      if (this.#inc === inc && this.#state === ActorState.Stopping) this.#state = ActorState.Stopped;
      this.onExit?.({ type: "normal" });
    });
  }

  /** Abort, drop the mailbox, then run the stop hook after the message in flight, bounded by shutdownMs. */
  #teardown(inc: Incarnation<M>, reason: unknown): Promise<void> {
    if (inc.teardown) return inc.teardown;
    inc.controller.abort(reason);
    for (let n = this.#queue.length; n > 0; n--) this.#drop("discarded at stop");
    this.#queue = [];
    const work = inc.busy.then(() => inc.actor.stop?.(inc.ctx));
    inc.teardown = within(this.#clock, work, this.#shutdownMs).then((r) => {
      if ("timedOut" in r) {
        this.#log.warn("{id} stop abandoned: {error}", { id: this.id, error: new ShutdownTimeout(this.id, this.#shutdownMs) });
      } else if (!r.ok) {
        this.#log.warn("{id} stop hook threw: {error}", { id: this.id, error: r.error });
      }
    });
    return inc.teardown;
  }

  #drop(reason: "mailbox full" | "not running" | "discarded at stop"): void {
    this.#dropped++;
    // Logging every drop would flood the log exactly when the system is overloaded.
    if (this.#dropped === 1 || this.#dropped % 1000 === 0) {
      const why = reason === "mailbox full" ? new MailboxFull(this.id, this.#capacity) : reason;
      this.#log.warn("{id} dropped {dropped} messages so far: {why}", { id: this.id, dropped: this.#dropped, why });
    }
  }

  #extra(): Record<string, unknown> | undefined {
    try {
      return this.#inc?.actor.status?.();
    } catch (err) {
      return { statusError: errorText(err) };
    }
  }
}
