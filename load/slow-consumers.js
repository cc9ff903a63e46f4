// @ts-check
/**
 * slow-consumers.js — a share of the dashboards stop reading; the healthy ones must
 * not notice (p99 moves by at most MAX_P99_INCREASE, 20 % by default).
 *
 * Phases after the start: WARMUP (not measured), BASELINE (everyone reads), SLOW (the
 * last SLOW_SHARE of the VUs stop reading all their sockets). Healthy probe sockets
 * record healthy_latency tagged phase:baseline / phase:slow.
 *
 * How a socket "stops reading" (lib/slow.js):
 *   - project runner: the socket really stops reading the TCP connection
 *     (`pauseReading()`, a runner extension), so kernel buffers fill and the edge sees
 *     backpressure — and should drop or close the slow socket (slow_closed_by_server).
 *   - real k6: k6 always drains the TCP socket into the VU's event queue, so a slow
 *     VU's message handler sleeps SLOW_SLEEP seconds per message instead. That models a
 *     stalled tab, not TCP backpressure; use the runner to exercise the edge's buffers.
 * Slow sockets live on their own VUs, because a sleeping handler blocks its whole VU.
 *
 * The 20 % rule is checked two ways:
 *   - healthy_p99_stable (threshold): per healthy probe socket, its own p99 in the slow
 *     phase ≤ its baseline p99 × (1 + MAX_P99_INCREASE) + SLACK_MS (the slack absorbs
 *     timer noise when latencies are about a millisecond);
 *   - handleSummary prints the ratio of the two global p99s (k6 thresholds cannot
 *     compare two metrics, so this one is reported, not enforced).
 *
 * Knobs (__ENV):
 *   TARGET           ws URL of the edge                           ws://127.0.0.1:8080/ws
 *   VUS              VUs                                          100
 *   SOCKETS_PER_VU   sockets per VU                               10
 *   SLOW_SHARE       share of VUs that turn slow                  0.1
 *   WARMUP           unmeasured start                             10s
 *   BASELINE         measured phase with every socket reading     30s
 *   SLOW             measured phase with slow sockets             30s
 *   MAX_P99_INCREASE allowed p99 growth, as a fraction            0.2
 *   SLACK_MS         absolute allowance on top                    2
 *   MIN_STABLE       threshold on healthy_p99_stable rate         0.9
 *   P99_MS           threshold on each phase's p99                50
 *   PROBES           healthy sockets that record latency          500
 *   SLOW_SLEEP       seconds slept per message (real k6 only)     1
 *   TICKERS_MIN/MAX, SYMBOLS, MAX_LOST, SUMMARY_JSON as in fanout.js
 */
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';
import { probeEvery } from './lib/dashboard.js';
import { envDurationMs, envFloat, envInt, envStr, k6Duration } from './lib/env.js';
import { closeAt, idleUntil, openFleet } from './lib/fleet.js';
import { TREND_STATS } from './lib/metrics.js';
import { symbols } from './lib/rooms.js';
import { stopReading } from './lib/slow.js';
import { summaryOutputs } from './lib/summary.js';

const TARGET = envStr('TARGET', 'ws://127.0.0.1:8080/ws');
const VUS = envInt('VUS', 100, 1);
const SOCKETS_PER_VU = envInt('SOCKETS_PER_VU', 10, 1);
const SLOW_SHARE = envFloat('SLOW_SHARE', 0.1);
const WARMUP = envDurationMs('WARMUP', '10s');
const BASELINE = envDurationMs('BASELINE', '30s');
const SLOW = envDurationMs('SLOW', '30s');
const MAX_INCREASE = envFloat('MAX_P99_INCREASE', 0.2);
const SLACK_MS = envFloat('SLACK_MS', 2);
const SLOW_SLEEP = envFloat('SLOW_SLEEP', 1);
const MIN_SAMPLES = 20;
const SLOW_VUS = SLOW_SHARE > 0 ? Math.min(VUS - 1, Math.max(1, Math.round(VUS * SLOW_SHARE))) : 0;
const PROBE_EVERY = probeEvery((VUS - SLOW_VUS) * SOCKETS_PER_VU, envInt('PROBES', 500));
const P99_MS = envFloat('P99_MS', 50);

const healthyLatency = new Trend('healthy_latency', true);
const stable = new Rate('healthy_p99_stable');
const slowStopped = new Counter('slow_sockets_stopped');
const slowClosed = new Counter('slow_closed_by_server');
const TAGS = { baseline: { phase: 'baseline' }, slow: { phase: 'slow' } };

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    slow: { executor: 'constant-vus', vus: VUS, duration: k6Duration(WARMUP + BASELINE + SLOW), gracefulStop: '10s' },
  },
  thresholds: {
    'healthy_latency{phase:baseline}': [`p(99)<${P99_MS}`],
    'healthy_latency{phase:slow}': [`p(99)<${P99_MS}`],
    healthy_p99_stable: [`rate>=${envFloat('MIN_STABLE', 0.9)}`],
    ws_connect_ok: [`rate>=${envFloat('CONNECT_OK', 0.99)}`],
    ws_msgs_lost: [`count<=${envInt('MAX_LOST', 0)}`],
  },
  summaryTrendStats: TREND_STATS,
};

/** @param {number[]} xs */
function p99(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * (s.length - 1)))] ?? 0;
}

export default function () {
  const baselineAt = exec.scenario.startTime + WARMUP;
  const slowAt = baselineAt + BASELINE;
  const endAt = slowAt + SLOW;
  if (endAt - Date.now() < 100) return idleUntil(endAt);
  const slowVu = exec.vu.idInTest > VUS - SLOW_VUS;
  /** @type {Array<{baseline: number[], slow: number[]}>} */
  const probes = [];
  let ending = false; // our own closes at the end are not the server's doing
  const fleet = openFleet({
    url: TARGET,
    socketsPerVu: SOCKETS_PER_VU,
    symbols: symbols(),
    tickersMin: envInt('TICKERS_MIN', 10),
    tickersMax: Math.max(envInt('TICKERS_MIN', 10), envInt('TICKERS_MAX', 20)),
    probeEvery: slowVu ? Infinity : PROBE_EVERY,
    perSocket: (_index, probe) => {
      // Slow sockets stop reading on purpose (and the edge may close them): not accounted.
      if (slowVu) return { accounted: false, onClose: (code) => ending || slowClosed.add(1, { code: String(code) }) };
      if (!probe) return {};
      const own = { baseline: /** @type {number[]} */ ([]), slow: /** @type {number[]} */ ([]) };
      probes.push(own);
      return {
        onLatency: (ms) => {
          const now = Date.now();
          if (now < baselineAt) return;
          const phase = now < slowAt ? 'baseline' : 'slow';
          healthyLatency.add(ms, TAGS[phase]);
          own[phase].push(ms);
        },
      };
    },
  });
  if (slowVu) {
    setTimeout(() => {
      for (const d of fleet) {
        if (!d.opened) continue;
        d.closing = true; // the edge closing a slow socket is expected, not an error
        stopReading(d.ws, SLOW_SLEEP);
        slowStopped.add(1);
      }
    }, slowAt - Date.now());
  }
  closeAt(fleet, endAt - 50, () => {
    ending = true;
    for (const own of probes) {
      if (own.baseline.length < MIN_SAMPLES || own.slow.length < MIN_SAMPLES) continue;
      stable.add(p99(own.slow) <= p99(own.baseline) * (1 + MAX_INCREASE) + SLACK_MS);
    }
  });
}

/** @param {any} data */
export function handleSummary(data) {
  const base = data.metrics['healthy_latency{phase:baseline}']?.values['p(99)'];
  const slow = data.metrics['healthy_latency{phase:slow}']?.values['p(99)'];
  const extra = [];
  if (base !== undefined && slow !== undefined && base > 0) {
    const change = slow / base - 1;
    const ok = slow <= base * (1 + MAX_INCREASE) + SLACK_MS;
    data.slow_consumers = { baselineP99: base, slowP99: slow, change, allowed: MAX_INCREASE, slackMs: SLACK_MS, ok };
    extra.push(
      `healthy p99: baseline ${base.toFixed(2)} ms → slow phase ${slow.toFixed(2)} ms (${(change * 100).toFixed(1)} %, ` +
        `allowed ${(MAX_INCREASE * 100).toFixed(0)} % + ${SLACK_MS} ms): ${ok ? 'OK' : 'TOO MUCH'}`,
    );
  }
  const title = `slow-consumers: ${VUS * SOCKETS_PER_VU} dashboards (${SLOW_VUS * SOCKETS_PER_VU} slow) → ${TARGET}`;
  return summaryOutputs(data, { title, extra, env: __ENV });
}
