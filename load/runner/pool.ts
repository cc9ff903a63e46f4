/**
 * The coordinator's worker processes: forks them (tsx loader, structured-clone IPC),
 * feeds their metric flushes into the Aggregate, and tracks readiness, completion,
 * test.abort()/test.fail() requests and crashes.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Aggregate } from "./aggregate.ts";
import type { FromWorker, ToWorker, WorkerStats } from "./ipc.ts";

type Worker = { proc: ChildProcess; ready: boolean; done: boolean; stats?: WorkerStats };
type Init = Omit<Extract<ToWorker, { type: "init" }>, "type" | "workerIndex" | "workers">;

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

export class WorkerPool {
  private workers: Worker[] = [];
  abortReason: string | undefined;
  failReason: string | undefined;
  error: string | undefined;
  private wake: () => void = () => {};

  constructor(
    n: number,
    init: Init,
    private agg: Aggregate,
  ) {
    const tsx = import.meta.resolve("tsx");
    // LOAD_WORKER_NODE_ARGS passes extra Node flags to the workers (e.g. --cpu-prof for profiling).
    const extra = (process.env.LOAD_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
    for (let i = 0; i < n; i++) {
      const proc = fork(WORKER, [], { execArgv: ["--import", tsx, ...extra], serialization: "advanced", stdio: ["inherit", "inherit", "inherit", "ipc"] });
      const w: Worker = { proc, ready: false, done: false };
      this.workers.push(w);
      proc.on("message", (m: FromWorker) => {
        this.onMessage(w, m);
        this.wake();
      });
      proc.on("exit", (code) => {
        if (!w.done) this.error ??= `worker ${i} exited with code ${code} before finishing`;
        w.done = true;
        this.wake();
      });
      this.send(w, { type: "init", ...init, workerIndex: i, workers: n });
    }
  }

  private onMessage(w: Worker, m: FromWorker): void {
    switch (m.type) {
      case "ready":
        for (const d of m.defs) this.agg.define(d);
        w.ready = true;
        break;
      case "tick":
      case "done":
        this.agg.merge(m.flush);
        w.stats = m.stats;
        if (m.stats.lagP99Ms > 0) this.agg.add("runner_event_loop_lag_p99", "trend", m.stats.lagP99Ms, "time");
        if (m.type === "done") w.done = true;
        break;
      case "abort":
        this.abortReason ??= m.reason;
        this.stopAll();
        break;
      case "fail":
        this.failReason ??= m.reason;
        break;
      case "error":
        this.error ??= m.message;
        break;
    }
  }

  private send(w: Worker, m: ToWorker): void {
    if (w.proc.connected) w.proc.send(m);
  }

  get allReady(): boolean {
    return this.workers.every((w) => w.ready);
  }
  get allDone(): boolean {
    return this.workers.every((w) => w.done);
  }
  get stats(): WorkerStats[] {
    return this.workers.map((w) => w.stats).filter((s): s is WorkerStats => s !== undefined);
  }

  start(testStart: number): void {
    for (const w of this.workers) this.send(w, { type: "start", testStart });
  }
  /** Interrupt every VU; the workers then report "done". */
  stopAll(): void {
    for (const w of this.workers) if (!w.done) this.send(w, { type: "stop" });
  }
  exitAll(): void {
    for (const w of this.workers) this.send(w, { type: "exit" });
  }
  killAll(): void {
    for (const w of this.workers) if (w.proc.exitCode === null) w.proc.kill("SIGKILL");
  }

  /** Resolves once `cond()` holds; re-checked on every worker message and at least once a second. */
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => ((this.wake = r), setTimeout(r, 1000)));
  }
}
