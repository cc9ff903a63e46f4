// @ts-check
/**
 * soak.js — steady load for a long time; delivery must stay healthy and the edge's
 * memory flat.
 *
 * Scenario `soak` ramps to VUS × SOCKETS_PER_VU dashboards (as fanout.js) and holds
 * them for DURATION. Scenario `memory` (one VU) reads the edge's Prometheus endpoint
 * every SAMPLE_EVERY with http.asyncRequest and records:
 *   server_rss_bytes        gauge, the last RSS read
 *   server_rss_growth_pct   trend of (RSS − baseline) / baseline × 100, where the
 *                           baseline is the first sample after WARMUP; threshold on max
 *   server_metrics_errors   failed reads
 * Set METRICS_URL=off when the server has no metrics endpoint; with the project's runner,
 * `--server-pid PID` samples the server's RSS from /proc instead (runner_server_rss_bytes,
 * charted in --out report.html, not a threshold).
 *
 * Knobs (__ENV):
 *   TARGET          ws URL of the edge                         ws://127.0.0.1:8080/ws
 *   VUS             VUs                                        100
 *   SOCKETS_PER_VU  sockets per VU                             10
 *   RAMP            time to reach VUS                          30s
 *   DURATION        hold time                                  30m
 *   METRICS_URL     Prometheus text endpoint, or "off"         TARGET's host + /metrics
 *   RSS_METRIC      metric name to read                        process_resident_memory_bytes
 *   SAMPLE_EVERY    memory sampling period                     10s
 *   WARMUP          time after the ramp before the baseline    2m
 *   MAX_GROWTH_PCT  threshold on server_rss_growth_pct max     10
 *   P99_MS, CONNECT_OK, MAX_LOST, PROBES, TICKERS_MIN/MAX, SYMBOLS, SUMMARY_JSON as in fanout.js
 */
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Gauge, Trend } from 'k6/metrics';
import { clearInterval, setInterval } from 'k6/timers';
import { probeEvery } from './lib/dashboard.js';
import { envDurationMs, envFloat, envInt, envStr, k6Duration } from './lib/env.js';
import { closeAt, idleUntil, openFleet } from './lib/fleet.js';
import { deliveryThresholds, TREND_STATS } from './lib/metrics.js';
import { symbols } from './lib/rooms.js';
import { summaryOutputs } from './lib/summary.js';

const TARGET = envStr('TARGET', 'ws://127.0.0.1:8080/ws');
const VUS = envInt('VUS', 100, 1);
const SOCKETS_PER_VU = envInt('SOCKETS_PER_VU', 10, 1);
const RAMP = envDurationMs('RAMP', '30s');
const DURATION = envDurationMs('DURATION', '30m');
const METRICS_URL = envStr('METRICS_URL', TARGET.replace(/^ws(s?):\/\/([^/]+).*$/, 'http$1://$2/metrics'));
const MEMORY = METRICS_URL !== 'off';
const RSS_METRIC = envStr('RSS_METRIC', 'process_resident_memory_bytes');
const SAMPLE_EVERY = envDurationMs('SAMPLE_EVERY', '10s');
const WARMUP = envDurationMs('WARMUP', '2m');

const rssBytes = new Gauge('server_rss_bytes');
const rssGrowth = new Trend('server_rss_growth_pct');
const metricsErrors = new Counter('server_metrics_errors');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    soak: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: k6Duration(RAMP), target: VUS },
        { duration: k6Duration(DURATION), target: VUS },
      ],
      gracefulRampDown: '0s',
      gracefulStop: '10s',
    },
    ...(MEMORY ? { memory: { executor: 'constant-vus', vus: 1, duration: k6Duration(RAMP + DURATION), exec: 'sampleMemory', gracefulStop: '5s' } } : {}),
  },
  thresholds: {
    ws_delivery_latency: [`p(99)<${envFloat('P99_MS', 50)}`],
    ws_connect_ok: [`rate>=${envFloat('CONNECT_OK', 0.99)}`],
    ...deliveryThresholds(),
    ...(MEMORY ? { server_rss_growth_pct: [`max<${envFloat('MAX_GROWTH_PCT', 10)}`], server_metrics_errors: ['count<1'] } : {}),
  },
  summaryTrendStats: TREND_STATS,
};

export default function () {
  const endAt = exec.scenario.startTime + RAMP + DURATION;
  if (endAt - Date.now() < 100) return idleUntil(endAt);
  const fleet = openFleet({
    url: TARGET,
    socketsPerVu: SOCKETS_PER_VU,
    symbols: symbols(),
    tickersMin: envInt('TICKERS_MIN', 10),
    tickersMax: Math.max(envInt('TICKERS_MIN', 10), envInt('TICKERS_MAX', 20)),
    probeEvery: probeEvery(VUS * SOCKETS_PER_VU, envInt('PROBES', 500)),
  });
  closeAt(fleet, endAt);
}

/** @param {string} text Prometheus exposition text */
function readRss(text) {
  const re = new RegExp(`^${RSS_METRIC}(?:\\{[^}]*\\})?\\s+([0-9.eE+]+)`, 'm');
  const m = re.exec(text);
  return m && m[1] ? Number(m[1]) : NaN;
}

/** The `memory` scenario: sample the server's RSS until the end, without blocking (asyncRequest). */
export function sampleMemory() {
  const start = exec.scenario.startTime;
  const endAt = start + RAMP + DURATION;
  if (endAt - Date.now() < 100) return idleUntil(endAt);
  const baselineAt = start + RAMP + WARMUP;
  let baseline = 0;
  const sample = async () => {
    const res = await http.asyncRequest('GET', METRICS_URL, null, { timeout: '5s' });
    const rss = res.status === 200 ? readRss(String(res.body)) : NaN;
    if (!Number.isFinite(rss)) {
      metricsErrors.add(1);
      return;
    }
    rssBytes.add(rss);
    if (Date.now() < baselineAt) return;
    if (!baseline) baseline = rss;
    rssGrowth.add(((rss - baseline) / baseline) * 100);
  };
  const id = setInterval(() => {
    if (Date.now() >= endAt - SAMPLE_EVERY / 2) clearInterval(id);
    sample();
  }, SAMPLE_EVERY);
  sample();
}

/** @param {any} data */
export function handleSummary(data) {
  const rss = data.metrics.server_rss_bytes?.values;
  const growth = data.metrics.server_rss_growth_pct?.values;
  const extra = [];
  if (rss) extra.push(`server RSS: last ${(rss.value / 2 ** 20).toFixed(1)} MiB (min ${(rss.min / 2 ** 20).toFixed(1)}, max ${(rss.max / 2 ** 20).toFixed(1)})`);
  if (growth) extra.push(`RSS growth after warm-up: max ${growth.max.toFixed(1)} %`);
  return summaryOutputs(data, { title: `soak: ${VUS * SOCKETS_PER_VU} dashboards for ${k6Duration(DURATION)} → ${TARGET}`, extra, env: __ENV });
}
