// @ts-check
/**
 * fanout.js — ramp up to VUS × SOCKETS_PER_VU dashboards, hold them, measure delivery.
 *
 * Each socket subscribes like a dashboard: movers, pulse, alerts and TICKERS_MIN–
 * TICKERS_MAX ticker rooms picked from SYMBOLS (seeded by the socket's index). Every
 * socket checks each room's `seq` (a gap = lost updates, counted per socket and room);
 * about PROBES sockets also record ws_delivery_latency = Date.now() − message `ts`.
 * Latency therefore includes clock skew when the load generator and the producer run
 * on different hosts — run them on one host or keep clocks in sync (chrony).
 *
 * Knobs (__ENV, set with `k6 run -e K=V` or `npm run load -- … --env K=V`):
 *   TARGET          ws URL of the edge                       ws://127.0.0.1:8080/ws
 *   VUS             VUs at full load                          100
 *   SOCKETS_PER_VU  sockets each VU holds                     10
 *   RAMP            time to reach VUS                         30s
 *   DURATION        hold time at full load                    1m
 *   TICKERS_MIN/MAX ticker rooms per dashboard                10 / 20
 *   SYMBOLS         comma list of symbols                     30 common USD pairs
 *   PROBES          sockets that record latency               500
 *   P99_MS          threshold on ws_delivery_latency p(99)    50
 *   CONNECT_OK      threshold on ws_connect_ok rate           0.99
 *   MAX_LOST        threshold on ws_msgs_lost count           0
 *   SUMMARY_JSON    also write the summary data to this file  (unset)
 */
import { closeAt, idleUntil, openFleet } from './lib/fleet.js';
import { envDurationMs, envFloat, envInt, envStr, k6Duration } from './lib/env.js';
import { probeEvery } from './lib/dashboard.js';
import { deliveryThresholds, TREND_STATS } from './lib/metrics.js';
import { symbols } from './lib/rooms.js';
import { summaryOutputs } from './lib/summary.js';
import exec from 'k6/execution';

const TARGET = envStr('TARGET', 'ws://127.0.0.1:8080/ws');
const VUS = envInt('VUS', 100, 1);
const SOCKETS_PER_VU = envInt('SOCKETS_PER_VU', 10, 1);
const RAMP = envDurationMs('RAMP', '30s');
const DURATION = envDurationMs('DURATION', '1m');
const TICKERS_MIN = envInt('TICKERS_MIN', 10);
const TICKERS_MAX = Math.max(TICKERS_MIN, envInt('TICKERS_MAX', 20));
const PROBES = envInt('PROBES', 500);
const SYMBOLS = symbols();

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    fanout: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: k6Duration(RAMP), target: VUS },
        { duration: k6Duration(DURATION), target: VUS },
      ],
      gracefulRampDown: '0s',
      gracefulStop: '10s',
    },
  },
  thresholds: {
    ws_delivery_latency: [`p(99)<${envFloat('P99_MS', 50)}`],
    ws_connect_ok: [`rate>=${envFloat('CONNECT_OK', 0.99)}`],
    ...deliveryThresholds(),
  },
  summaryTrendStats: TREND_STATS,
};

export default function () {
  // Every VU holds its sockets until the end of the hold phase, whenever it joined the ramp.
  const endAt = exec.scenario.startTime + RAMP + DURATION;
  if (endAt - Date.now() < 100) return idleUntil(endAt);
  const fleet = openFleet({
    url: TARGET,
    socketsPerVu: SOCKETS_PER_VU,
    symbols: SYMBOLS,
    tickersMin: TICKERS_MIN,
    tickersMax: TICKERS_MAX,
    probeEvery: probeEvery(VUS * SOCKETS_PER_VU, PROBES),
  });
  closeAt(fleet, endAt);
}

/** @param {any} data */
export function handleSummary(data) {
  return summaryOutputs(data, { title: `fanout: ${VUS * SOCKETS_PER_VU} dashboards → ${TARGET}`, env: __ENV });
}
