// @ts-check
/**
 * A tiny script with known results, for load/runner/runner.test.ts: 4 VUs × 5
 * iterations; each iteration adds 1 to a counter at once and 1 more from a timer (so
 * the iteration must stay alive until the timer fires), a Trend sample of
 * 10 × (iteration + 1), a Rate that passes on even iterations, and a check.
 * FAIL=1 adds a threshold that cannot pass.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';

const count = new Counter('known_count');
const trend = new Trend('known_trend', true);
const rate = new Rate('known_rate');
const gauge = new Gauge('known_gauge');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    known: { executor: 'per-vu-iterations', vus: 4, iterations: 5, tags: { kind: 'known' } },
  },
  thresholds: {
    known_count: ['count==40'],
    'known_count{source:timer}': ['count==20'],
    known_trend: ['p(99)<=51', 'avg>=29', 'med>0'],
    known_rate: ['rate==0.6'],
    known_gauge: ['value>0'],
    ...(__ENV.FAIL === '1' ? { iterations: ['count<1'] } : {}),
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)', 'count'],
};

export function setup() {
  return { startedBy: 'setup' };
}

/** @param {{startedBy: string}} data */
export default function (data) {
  if (data.startedBy !== 'setup') throw new Error('setup data missing');
  const iter = exec.vu.iterationInScenario;
  count.add(1);
  trend.add(10 * (iter + 1));
  rate.add(iter % 2 === 0);
  gauge.add(exec.vu.idInTest);
  check(iter, { 'iteration is a number': (v) => typeof v === 'number' });
  setTimeout(() => {
    if (__VU !== exec.vu.idInTest || __VU < 1) throw new Error('__VU lost in a timer callback');
    count.add(1, { source: 'timer' });
  }, 5);
}

/** @param {any} data */
export function handleSummary(data) {
  return { [__ENV.SUMMARY_OUT || 'known-summary.json']: JSON.stringify(data) };
}
