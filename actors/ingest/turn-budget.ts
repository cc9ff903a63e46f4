/**
 * Bounds how long one event-loop turn spends on upstream frames. Under overload the
 * kernel holds a backlog on every socket and Node reads up to 32 × 64 KiB per socket per
 * turn, so a turn ran for seconds: timers (lease renewals, linger, ack sweeps) fired late
 * and late replies counted as timeouts. Once a turn has spent `budgetMs` on frames, each
 * socket that delivers another chunk is paused until the loop has gone round once
 * (setImmediate: after timers and I/O had their go); its backlog waits in the kernel and
 * the venue, which cuts a consumer that falls too far behind (a slow-consumer disconnect
 * is then a reconnect and a gap, as designed).
 *
 * One budget per process (`frameTurns`), since the shards of a process share its loop.
 */
export class TurnBudget {
  private turnStart = 0;
  private inTurn = false;
  private deferred: Array<() => void> = [];
  /** Sockets paused because a turn ran over budget (a measure of overload). */
  pauses = 0;

  constructor(public budgetMs: number, private readonly now: () => number = () => performance.now()) {}

  /** Called per frame; true once this turn has run past the budget (pause the socket, then {@link defer} its resume). */
  overBudget(): boolean {
    const t = this.now();
    if (!this.inTurn) {
      this.inTurn = true;
      this.turnStart = t;
      afterIo(() => this.endTurn());
    }
    return t - this.turnStart > this.budgetMs;
  }

  /** Run `resume` at the end of this turn. */
  defer(resume: () => void): void {
    this.pauses++;
    this.deferred.push(resume);
  }

  private endTurn(): void {
    this.inTurn = false;
    const run = this.deferred;
    this.deferred = [];
    for (const f of run) f();
  }
}

const afterIo = (fn: () => void): void => {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (si) si(fn);
  else setTimeout(fn, 0);
};

/** The process's budget; ShardService sets `budgetMs` from FRAME_TURN_BUDGET_MS. */
export const frameTurns = new TurnBudget(20);
