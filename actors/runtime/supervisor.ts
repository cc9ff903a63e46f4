/**
 * Supervisors: start children in order, carry out the decisions of `decide` when one
 * exits (restart with backoff per strategy, leave stopped, or give up and escalate),
 * and stop children in reverse order. All changes to the tree go through one job
 * queue per supervisor, so a crash report never races a restart or an ops command.
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { ActorCell, type SupervisedChild } from "./actor.ts";
import { Backoff } from "./backoff.ts";
import { sleep, systemClock } from "./clock.ts";
import { EscalationError, errorText } from "./errors.ts";
import { decide, restartSet, restartsWithin, validateSpec } from "./strategy.ts";
import {
  type Actor,
  type ActorRef,
  ActorState,
  type ActorStatus,
  type ChildSpec,
  type Clock,
  type Exit,
  RestartStrategy,
  RestartType,
  SupervisionAction,
  type SupervisorSpec,
} from "./types.ts";

export interface SupervisorOptions {
  clock?: Clock;
  /** Randomness in [0, 1) for backoff jitter. Default Math.random. */
  random?: () => number;
}

/** What a supervisor has done so far; shown in its status row's `extra`. */
export interface SupervisorCounters {
  restarts: number;
  escalations: number;
  stops: number;
}

interface Entry {
  readonly spec: ChildSpec;
  readonly child: SupervisedChild;
  readonly backoff: Backoff;
  restarts: number;
  /** Whether the supervisor wants this child running: false after a stop decision or stopChild. */
  active: boolean;
}

const live = (s: ActorState) => s === ActorState.Running || s === ActorState.Starting;

export class Supervisor implements SupervisedChild {
  readonly id: string;
  onExit: ((exit: Exit) => void) | undefined;
  readonly counters: SupervisorCounters = { restarts: 0, escalations: 0, stops: 0 };
  readonly #strategy: RestartStrategy;
  readonly #maxRestarts: number;
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #entries: Entry[];
  readonly #spec: SupervisorSpec;
  readonly #opts: SupervisorOptions;
  #state: ActorState = ActorState.Stopped;
  #startedAt: number | undefined;
  #restartTimes: number[] = [];
  #failure: EscalationError | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Aborted by stop or give-up: cuts backoff waits short and tells running jobs to bail. */
  #lifetime = new AbortController();
  #stopping: Promise<void> | undefined;

  /** Throws TypeError/RangeError for an invalid spec (duplicate ids, bad numbers, ...). */
  constructor(id: string, spec: SupervisorSpec, opts: SupervisorOptions = {}) {
    this.id = id;
    this.#strategy = spec.strategy ?? RestartStrategy.OneForOne;
    this.#maxRestarts = spec.maxRestarts ?? 5;
    this.#periodMs = spec.periodMs ?? 60_000;
    this.#clock = opts.clock ?? systemClock;
    this.#log = getLogger(["tickflow", "supervisor", id]);
    validateSpec(id, spec, this.#strategy, this.#maxRestarts, this.#periodMs);
    this.#spec = spec;
    this.#opts = opts;
    this.#entries = spec.children.map((c) => this.#entry(c, spec, opts));
  }

  get state(): ActorState {
    return this.#state;
  }

  /** Start the children in order. Rejects with EscalationError if the supervisor gave up meanwhile. */
  start(): Promise<void> {
    if (live(this.#state)) return Promise.resolve();
    this.#state = ActorState.Starting;
    this.#stopping = undefined;
    return this.#run(async () => {
      if (this.#state !== ActorState.Starting) return; // stopped before this job ran
      // A (re)started supervisor gets a fresh restart intensity, as in OTP.
      this.#failure = undefined;
      this.#restartTimes = [];
      this.#lifetime = new AbortController();
      const signal = this.#lifetime.signal;
      this.#log.info("starting {id} ({count} children, {strategy})", { id: this.id, count: this.#entries.length, strategy: this.#strategy });
      for (const e of this.#entries) e.active = true;
      await this.#startInOrder(this.#entries, signal);
      if (this.#failure) throw this.#failure;
      if (signal.aborted) return;
      this.#state = ActorState.Running;
      this.#startedAt = this.#clock.now();
    });
  }

  /** Stop the children in reverse start order; each actor is bounded by its shutdownMs. */
  stop(): Promise<void> {
    if (this.#state === ActorState.Stopped || this.#state === ActorState.Failed) return Promise.resolve();
    this.#stopping ??= (async () => {
      this.#state = ActorState.Stopping;
      this.#lifetime.abort();
      this.#log.info("stopping {id}", { id: this.id });
      await this.#stopChildren("supervisor stopping");
      this.#state = ActorState.Stopped;
      this.#log.info("stopped {id}", { id: this.id });
    })();
    return this.#stopping;
  }

  /** Flattened status tree, this supervisor first; paths like "root/ingest/shard-0". */
  status(): ActorStatus[] {
    return this.describe(this.id, 0);
  }

  describe(path: string, restarts: number): ActorStatus[] {
    const row: ActorStatus = {
      path,
      id: this.id,
      kind: "supervisor",
      state: this.#state,
      restarts,
      mailboxDepth: 0,
      droppedMessages: 0,
      extra: { strategy: this.#strategy, ...this.counters },
    };
    if (this.#failure) row.lastError = this.#failure.message;
    if (this.#startedAt !== undefined) row.startedAt = this.#startedAt;
    return [row, ...this.#entries.flatMap((e) => e.child.describe(`${path}/${e.spec.id}`, e.restarts))];
  }

  /** Stop the child at `path` and keep it stopped until `restartChild`. Rejects with RangeError for an unknown path. */
  async stopChild(path: string): Promise<void> {
    const { owner, entry } = this.#locate(path);
    await owner.#run(async () => {
      entry.active = false;
      await owner.#stopEntry(entry, "requested");
    });
  }

  /**
   * Stop (if running) and start the child at `path` now, without backoff. Counts as a
   * restart of that child but not against the restart intensity; siblings are untouched.
   * Rejects with RangeError for an unknown path, Error if its supervisor is not running.
   */
  async restartChild(path: string): Promise<void> {
    const { owner, entry } = this.#locate(path);
    await owner.#runLive(async (signal) => {
      owner.#log.info("restarting {child} on request", { child: entry.spec.id });
      await entry.child.stop();
      entry.active = true;
      owner.#countRestart(entry);
      await owner.#startInOrder([entry], signal);
    }, true);
  }

  /**
   * Add a child at the end and start it (dynamic children: actors placed on this host
   * at run time). It is stopped first on shutdown. Rejects with RangeError when the id
   * is taken, Error when this supervisor is not running.
   */
  addChild(spec: ChildSpec): Promise<void> {
    return this.#runLive(async (signal) => {
      if (this.#entries.some((e) => e.spec.id === spec.id)) throw new RangeError(`${this.id} already has a child "${spec.id}"`);
      validateSpec(this.id, { ...this.#spec, children: [spec] }, this.#strategy, this.#maxRestarts, this.#periodMs);
      const entry = this.#entry(spec, this.#spec, this.#opts);
      entry.active = true;
      this.#entries.push(entry);
      this.#log.info("added {child}", { child: spec.id });
      await this.#startInOrder([entry], signal);
    }, true);
  }

  /** Stop a child (bounded by its shutdownMs) and remove it. Resolves false when there is no such child. */
  removeChild(id: string): Promise<boolean> {
    return this.#run(async () => {
      const entry = this.#entries.find((e) => e.spec.id === id);
      if (!entry) return false;
      entry.active = false;
      await this.#stopEntry(entry, "removed");
      this.#entries.splice(this.#entries.indexOf(entry), 1);
      return true;
    });
  }

  /** Ids of the direct children, in start order. */
  childIds(): string[] {
    return this.#entries.map((e) => e.spec.id);
  }

  /** The nested supervisor at `path` (e.g. "root/placed"), or undefined. */
  supervisorAt(path: string): Supervisor | undefined {
    if (path === this.id) return this;
    try {
      const { entry } = this.#locate(path);
      return entry.child instanceof Supervisor ? entry.child : undefined;
    } catch {
      return undefined;
    }
  }

  /** The ref of the actor at `path`, or undefined if there is no actor there. */
  ref<M>(path: string): ActorRef<M> | undefined {
    try {
      const { entry } = this.#locate(path);
      return entry.child instanceof ActorCell ? (entry.child.ref as ActorRef<M>) : undefined;
    } catch {
      return undefined;
    }
  }

  #entry(spec: ChildSpec, parent: SupervisorSpec, opts: SupervisorOptions): Entry {
    const child: SupervisedChild = spec.supervisor
      ? new Supervisor(spec.id, spec.supervisor, opts)
      : new ActorCell<unknown>({
        id: spec.id,
        factory: spec.actor as () => Actor<unknown>,
        mailbox: spec.mailbox,
        shutdownMs: spec.shutdownMs,
        clock: this.#clock,
      });
    const entry: Entry = { spec, child, backoff: new Backoff({ ...parent.backoff, random: opts.random }), restarts: 0, active: false };
    child.onExit = (exit) => void this.#runLive((signal) => this.#childExited(entry, exit, signal), false);
    return entry;
  }

  /** Serialise a job behind every earlier one. */
  #run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(job);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** A job that needs a running supervisor; if it makes the supervisor give up, escalate to the parent. */
  #runLive(job: (signal: AbortSignal) => Promise<void>, required: boolean): Promise<void> {
    return this.#run(async () => {
      if (this.#state !== ActorState.Running) {
        if (required) throw new Error(`supervisor ${this.id} is ${this.#state}, not running`);
        return;
      }
      await job(this.#lifetime.signal);
      if (this.#failure) this.onExit?.({ type: "crash", error: this.#failure });
    });
  }

  async #childExited(e: Entry, exit: Exit, signal: AbortSignal): Promise<void> {
    // Stale reports: the child was stopped on purpose, or a sibling's restart already restarted it.
    if (signal.aborted || !e.active || live(e.child.state)) return;
    await this.#handleExit(e, exit, signal);
  }

  /** Start `entries` in order; a child that fails to start is handled on the spot, so later ones start after it runs. */
  async #startInOrder(entries: Entry[], signal: AbortSignal): Promise<void> {
    for (const e of entries) {
      if (signal.aborted) return;
      if (!e.active || live(e.child.state)) continue; // left stopped, or restarted by a nested decision
      try {
        await e.child.start();
      } catch (error) {
        await this.#handleExit(e, { type: "crash", error }, signal);
      }
    }
  }

  async #handleExit(e: Entry, exit: Exit, signal: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    const restart = e.spec.restart ?? RestartType.Permanent;
    const action = decide({ restart, exit: exit.type, now, restartTimes: this.#restartTimes, maxRestarts: this.#maxRestarts, periodMs: this.#periodMs });
    const reason = exit.type === "crash" ? errorText(exit.error) : "normal exit";
    switch (action) {
      case SupervisionAction.Restart:
        this.#restartTimes = [...this.#restartTimes.filter((t) => now - t < this.#periodMs), now];
        await this.#restart(e, reason, signal);
        return;
      case SupervisionAction.Escalate:
        await this.#giveUp(e, exit, reason);
        return;
      case SupervisionAction.Stop:
      case SupervisionAction.Resume: // nothing to resume: the child is already down
        e.active = false;
        this.#log.info("{child} exited ({reason}); {restart} child not restarted", { child: e.spec.id, reason, restart });
    }
  }

  async #restart(e: Entry, reason: string, signal: AbortSignal): Promise<void> {
    const index = this.#entries.indexOf(e);
    const set = restartSet(this.#strategy, index, this.#entries.length)
      .map((i) => this.#entries[i] as Entry)
      .filter((x) => x === e || x.active);
    for (const x of [...set].reverse()) {
      if (x === e) await x.child.stop(); // already down; this waits for its cleanup
      else await this.#stopEntry(x, `${this.#strategy} restart after ${e.spec.id} failed`);
    }
    const delay = e.backoff.next(this.#clock.now());
    this.#log.warn("restarting {children} in {delay} ms after {child} exited: {reason} ({recent} of {max} restarts in {periodMs} ms)", {
      children: set.map((x) => x.spec.id),
      delay,
      child: e.spec.id,
      reason,
      recent: restartsWithin(this.#restartTimes, this.#clock.now(), this.#periodMs),
      max: this.#maxRestarts,
      periodMs: this.#periodMs,
    });
    await sleep(this.#clock, delay, signal);
    if (signal.aborted) return;
    for (const x of set) this.#countRestart(x);
    await this.#startInOrder(set, signal);
  }

  async #giveUp(e: Entry, exit: Exit, reason: string): Promise<void> {
    const cause = exit.type === "crash" ? exit.error : undefined;
    const detail = `more than ${this.#maxRestarts} restarts in ${this.#periodMs} ms; last: ${e.spec.id} (${reason})`;
    this.#failure = new EscalationError(this.id, detail, { cause });
    this.counters.escalations++;
    this.#log.error("{id} gives up and escalates: {error}", { id: this.id, error: this.#failure });
    this.#lifetime.abort();
    await this.#stopChildren("supervisor gave up");
    this.#state = ActorState.Failed;
  }

  async #stopChildren(why: string): Promise<void> {
    for (const e of [...this.#entries].reverse()) {
      if (e.child.state === ActorState.Stopped) continue;
      await this.#stopEntry(e, why);
    }
  }

  async #stopEntry(e: Entry, why: string): Promise<void> {
    if (live(e.child.state)) {
      this.counters.stops++;
      this.#log.info("stopping {child} ({why})", { child: e.spec.id, why });
    }
    await e.child.stop();
  }

  #countRestart(e: Entry): void {
    e.restarts++;
    this.counters.restarts++;
  }

  #locate(path: string): { owner: Supervisor; entry: Entry } {
    const [head, ...rest] = path.split("/");
    const found = head === this.id ? this.#find(rest) : undefined;
    if (found) return found;
    const known = this.status().slice(1).map((s) => `"${s.path}"`).join(", ");
    throw new RangeError(`no child at path "${path}"; expected one of ${known}`);
  }

  #find(segments: string[]): { owner: Supervisor; entry: Entry } | undefined {
    const [name, ...rest] = segments;
    const entry = this.#entries.find((e) => e.spec.id === name);
    if (!entry || rest.length === 0) return entry && { owner: this, entry };
    return entry.child instanceof Supervisor ? entry.child.#find(rest) : undefined;
  }
}
