/** Messages between the coordinator (main process) and its worker processes. */
import type { ScenarioPlan } from "./options.ts";
import type { Flush } from "./registry.ts";
import type { MetricDef } from "./sinks.ts";

export type WorkerStats = {
  vusActive: number;
  openSockets: number;
  connectingSockets: number;
  pausedSockets: number;
  iterationsCompleted: number;
  /** Event-loop delay of the worker over the last interval (monitorEventLoopDelay). */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  rssBytes: number;
};

export type ToWorker =
  | {
      type: "init";
      script: string;
      env: Record<string, string>;
      options: Record<string, unknown>;
      plans: ScenarioPlan[];
      submetrics: string[];
      setupData: unknown;
      workerIndex: number;
      workers: number;
      maxSockets: number;
      sourceAddresses: number;
    }
  | { type: "start"; testStart: number }
  | { type: "stop" }
  | { type: "exit" };

export type FromWorker =
  | { type: "hello" }
  | { type: "ready"; defs: MetricDef[] }
  | { type: "tick"; flush: Flush; stats: WorkerStats }
  | { type: "done"; flush: Flush; stats: WorkerStats }
  | { type: "abort"; reason: string }
  | { type: "fail"; reason: string }
  | { type: "error"; message: string };
