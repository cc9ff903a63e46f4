/**
 * `k6/execution`: information about the running scenario, VU, instance and test, plus
 * test.abort() and test.fail(). Read inside VU code; the values are live getters.
 */
import { instance } from "../instance.ts";
import { requireCtx } from "../vu.ts";

export const scenario = {
  get name() {
    return requireCtx("exec.scenario").vu.scenario.name;
  },
  get executor() {
    return requireCtx("exec.scenario").vu.scenario.executor;
  },
  /** Unix ms when the scenario started (the same on every worker process). */
  get startTime() {
    return requireCtx("exec.scenario").vu.scenarioStartTime;
  },
  get progress() {
    const { vu } = requireCtx("exec.scenario");
    const d = vu.scenario.durationMs;
    return d > 0 ? Math.min(1, (Date.now() - vu.scenarioStartTime) / d) : 0;
  },
  get iterationInInstance() {
    return requireCtx("exec.scenario").vu.iterationInScenario;
  },
  /** Unique across processes: iteration n of the VU with scenario index i is n × vus + (i − 1). */
  get iterationInTest() {
    const { vu, iter } = requireCtx("exec.scenario");
    return iter * vu.scenario.vus + vu.indexInScenario - 1;
  },
};

export const instanceInfo = {
  get iterationsInterrupted() {
    return instance.iterationsInterrupted;
  },
  get iterationsCompleted() {
    return instance.iterationsCompleted;
  },
  get vusActive() {
    return instance.vusActive;
  },
  get vusInitialized() {
    return instance.vusInitialized;
  },
  get currentTestRunDuration() {
    return instance.testStartTime ? Date.now() - instance.testStartTime : 0;
  },
};

export const test = {
  abort(reason?: string): void {
    instance.abort(reason ?? "test.abort() called");
  },
  fail(reason?: string): void {
    instance.fail(reason ?? "test.fail() called");
  },
  get options() {
    return instance.options;
  },
};

const vuTags = new Map<number, Record<string, string | number | boolean>>();

export const vu = {
  get idInTest() {
    return requireCtx("exec.vu").vu.idInTest;
  },
  get idInInstance() {
    return requireCtx("exec.vu").vu.idInInstance;
  },
  get iterationInInstance() {
    return requireCtx("exec.vu").vu.iterationInInstance;
  },
  get iterationInScenario() {
    return requireCtx("exec.vu").vu.iterationInScenario;
  },
  /** Accepted and readable; unlike k6 these tags are not attached to the VU's samples. */
  get tags() {
    const id = requireCtx("exec.vu").vu.idInTest;
    let t = vuTags.get(id);
    if (!t) vuTags.set(id, (t = {}));
    return t;
  },
  get metrics() {
    return { tags: this.tags, metadata: {} };
  },
};

export { instanceInfo as instance };
export default { scenario, instance: instanceInfo, test, vu };
