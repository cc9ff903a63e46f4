/**
 * A runner worker process (forked by the coordinator): imports the script, runs its
 * share of every scenario's VUs, and once a second sends what its metrics recorded
 * plus its own health (open sockets, event-loop delay, RSS) to the coordinator.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ScenarioRun, type VuFn } from "./executors.ts";
import { instance } from "./instance.ts";
import type { ScenarioPlan } from "./options.ts";
import { registry } from "./registry.ts";
import { loadScript, setScenarioEnvs } from "./script.ts";
import { als, type VuState } from "./vu.ts";
import type { ToWorker, WorkerStats, FromWorker } from "./ipc.ts";

const send = (m: FromWorker) => process.send?.(m);
const lag = monitorEventLoopDelay({ resolution: 10 });
const runs: ScenarioRun[] = [];
let flushTimer: NodeJS.Timeout | undefined;

registry.scenarioOf = () => als.getStore()?.vu.scenario.name;

function stats(): WorkerStats {
  const s: WorkerStats = {
    vusActive: instance.vusActive,
    openSockets: instance.openSockets,
    connectingSockets: instance.connectingSockets,
    pausedSockets: instance.pausedSockets,
    iterationsCompleted: instance.iterationsCompleted,
    lagP50Ms: lag.count ? lag.percentile(50) / 1e6 : 0,
    lagP99Ms: lag.count ? lag.percentile(99) / 1e6 : 0,
    lagMaxMs: lag.count ? lag.max / 1e6 : 0,
    rssBytes: process.memoryUsage.rss(),
  };
  lag.reset();
  return s;
}

function localVus(plan: ScenarioPlan, workerIndex: number, workers: number): VuState[] {
  const vus: VuState[] = [];
  for (let i = 1; i <= plan.vus; i++) {
    const id = plan.firstVuId + i - 1;
    if ((id - 1) % workers !== workerIndex) continue;
    vus.push({
      idInTest: id,
      idInInstance: ++instance.vusInitialized,
      indexInScenario: i,
      iterationInScenario: 0,
      iterationInInstance: 0,
      scenario: plan,
      scenarioStartTime: 0,
    });
  }
  return vus;
}

async function init(m: Extract<ToWorker, { type: "init" }>): Promise<void> {
  Object.assign(instance, {
    options: m.options,
    workerIndex: m.workerIndex,
    workers: m.workers,
    maxSockets: m.maxSockets,
    sourceAddresses: m.sourceAddresses,
    abort: (reason: string) => send({ type: "abort", reason }),
    fail: (reason: string) => send({ type: "fail", reason }),
  });
  const mod = await loadScript(m.script, m.env);
  setScenarioEnvs(m.plans);
  registry.setSubmetrics(m.submetrics);
  for (const plan of m.plans) {
    const fn = mod[plan.exec];
    if (typeof fn !== "function") throw new Error(`scenario "${plan.name}": the script exports no function "${plan.exec}"`);
    runs.push(new ScenarioRun(plan, localVus(plan, m.workerIndex, m.workers), fn as VuFn, m.setupData));
  }
  send({ type: "ready", defs: [...registry.defs.values()] });
}

async function start(testStart: number): Promise<void> {
  instance.testStartTime = testStart;
  lag.enable();
  flushTimer = setInterval(() => send({ type: "tick", flush: registry.flush(), stats: stats() }), 1000);
  await Promise.all(runs.map((r) => r.run(testStart)));
  clearInterval(flushTimer);
  send({ type: "done", flush: registry.flush(), stats: stats() });
}

process.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "init":
      init(m).catch((e: Error) => {
        send({ type: "error", message: e.stack ?? e.message });
        process.exitCode = 1;
      });
      break;
    case "start":
      void start(m.testStart);
      break;
    case "stop":
      for (const r of runs) r.stop();
      break;
    case "exit":
      process.exit(0);
  }
});
// Never outlive the coordinator.
process.on("disconnect", () => process.exit(0));
process.on("unhandledRejection", (e) => process.stderr.write(`ERRO unhandled rejection in VU code: ${String((e as Error)?.stack ?? e)}\n`));
send({ type: "hello" });
