// @ts-check
/**
 * churn.js — dashboards that keep changing what they watch: every socket swaps one of
 * its ticker rooms for another (unsubscribe + subscribe) CHURN_RATE times a second.
 *
 * Measured:
 *   churn_subscribe_ms   subscribe sent → the room's snapshot received
 *   churn_ops            subscription swaps done
 *   churn_no_snapshot    subscribes with no snapshot within SNAPSHOT_TIMEOUT
 *   churn_stray_msgs     room messages still arriving STRAY_GRACE_MS after unsubscribing
 *   ws_msgs_lost         seq gaps in rooms held continuously (a re-subscribe restarts
 *                        a room's sequence at its snapshot)
 *   ws_server_errors     error frames (e.g. rate_limited: keep CHURN_RATE under the
 *                        edge's msgsPerSecond limit; each swap is two messages)
 *
 * Knobs (__ENV):
 *   TARGET             ws URL of the edge                          ws://127.0.0.1:8080/ws
 *   VUS                VUs                                         100
 *   SOCKETS_PER_VU     sockets per VU                              10
 *   DURATION           test length                                 1m
 *   CHURN_RATE         swaps per second per socket                 0.5
 *   TICKERS            ticker rooms each socket holds at a time    10
 *   SUB_P99_MS         threshold on churn_subscribe_ms p(99)       200
 *   SNAPSHOT_TIMEOUT   subscribe without snapshot counts as failed 5s
 *   STRAY_GRACE_MS     messages in flight after unsubscribe        1000
 *   SYMBOLS, MAX_LOST, CONNECT_OK, SUMMARY_JSON as in fanout.js
 */
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { clearInterval, setInterval, setTimeout } from 'k6/timers';
import { Dashboard } from './lib/dashboard.js';
import { idleUntil } from './lib/fleet.js';
import { envDurationMs, envFloat, envInt, envStr, k6Duration } from './lib/env.js';
import { TREND_STATS } from './lib/metrics.js';
import { pickSymbols, rng, symbols } from './lib/rooms.js';
import { summaryOutputs } from './lib/summary.js';

const TARGET = envStr('TARGET', 'ws://127.0.0.1:8080/ws');
const VUS = envInt('VUS', 100, 1);
const SOCKETS_PER_VU = envInt('SOCKETS_PER_VU', 10, 1);
const DURATION = envDurationMs('DURATION', '1m');
const CHURN_RATE = envFloat('CHURN_RATE', 0.5);
const TICKERS = envInt('TICKERS', 10, 1);
const SNAPSHOT_TIMEOUT = envDurationMs('SNAPSHOT_TIMEOUT', '5s');
const STRAY_GRACE_MS = envInt('STRAY_GRACE_MS', 1000);
const SYMBOLS = symbols();

const subscribeMs = new Trend('churn_subscribe_ms', true);
const ops = new Counter('churn_ops');
const noSnapshot = new Counter('churn_no_snapshot');
const stray = new Counter('churn_stray_msgs');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    churn: { executor: 'constant-vus', vus: VUS, duration: k6Duration(DURATION), gracefulStop: '10s' },
  },
  thresholds: {
    churn_subscribe_ms: [`p(99)<${envFloat('SUB_P99_MS', 200)}`],
    churn_no_snapshot: ['count<1'],
    churn_stray_msgs: ['count<1'],
    ws_msgs_lost: [`count<=${envInt('MAX_LOST', 0)}`],
    ws_server_errors: ['count<1'],
    ws_connect_ok: [`rate>=${envFloat('CONNECT_OK', 0.99)}`],
  },
  summaryTrendStats: TREND_STATS,
};

/** One socket that swaps ticker rooms. */
class Churner {
  /** @param {number} index global socket index */
  constructor(index) {
    this.rand = rng(index * 7919 + 3);
    /** Ticker rooms currently subscribed. @type {Set<string>} */
    this.held = new Set(pickSymbols(SYMBOLS, Math.min(TICKERS, SYMBOLS.length - 1), this.rand).map((s) => `ticker.${s}`));
    /** room → when we subscribed (waiting for its snapshot). @type {Map<string, number>} */
    this.pending = new Map();
    /** room → when we unsubscribed. @type {Map<string, number>} */
    this.left = new Map();
    this.d = new Dashboard({
      url: TARGET,
      rooms: ['movers', ...this.held],
      probe: false,
      onFrame: (f) => this.onFrame(f.type, f.room),
    });
  }

  swap() {
    if (!this.d.opened || this.d.closing) return;
    const heldList = [...this.held];
    const out = heldList[Math.floor(this.rand() * heldList.length)];
    const free = SYMBOLS.map((s) => `ticker.${s}`).filter((r) => !this.held.has(r));
    const into = free[Math.floor(this.rand() * free.length)];
    if (!out || !into) return;
    const now = Date.now();
    this.held.delete(out);
    this.d.seq.forget(out);
    this.left.set(out, now);
    this.d.send({ op: 'unsubscribe', rooms: [out] });
    this.held.add(into);
    this.left.delete(into);
    this.d.seq.forget(into);
    this.pending.set(into, now);
    this.d.send({ op: 'subscribe', rooms: [into] });
    ops.add(1);
  }

  /** @param {string} type @param {string} room */
  onFrame(type, room) {
    if (type !== 'update' && type !== 'snapshot') return;
    const now = Date.now();
    const sent = this.pending.get(room);
    if (sent !== undefined && type === 'snapshot') {
      subscribeMs.add(now - sent);
      this.pending.delete(room);
    }
    const leftAt = this.left.get(room);
    if (leftAt !== undefined && !this.held.has(room) && now - leftAt > STRAY_GRACE_MS) stray.add(1);
  }

  /** Count subscribes still without a snapshot after SNAPSHOT_TIMEOUT. */
  expire() {
    const now = Date.now();
    for (const [room, at] of this.pending) {
      if (now - at > SNAPSHOT_TIMEOUT) {
        noSnapshot.add(1);
        this.pending.delete(room);
      }
    }
  }
}

export default function () {
  const endAt = exec.scenario.startTime + DURATION;
  if (endAt - Date.now() < 100) return idleUntil(endAt);
  const base = (exec.vu.idInTest - 1) * SOCKETS_PER_VU;
  /** @type {Churner[]} */
  const churners = [];
  for (let k = 0; k < SOCKETS_PER_VU; k++) churners.push(new Churner(base + k));
  /** @type {number[]} */
  const intervals = [];
  if (CHURN_RATE > 0) {
    const every = 1000 / CHURN_RATE;
    for (const c of churners) {
      // Spread the sockets' swaps over the period instead of firing them together.
      setTimeout(() => {
        if (Date.now() < endAt - every) intervals.push(setInterval(() => c.swap(), every));
      }, c.rand() * every);
    }
  }
  const expiry = setInterval(() => churners.forEach((c) => c.expire()), 1000);
  setTimeout(() => {
    intervals.forEach(clearInterval);
    clearInterval(expiry);
    for (const c of churners) {
      c.expire();
      c.d.close();
      c.d.finish();
    }
  }, endAt - Date.now() - 50);
}

/** @param {any} data */
export function handleSummary(data) {
  return summaryOutputs(data, { title: `churn: ${VUS * SOCKETS_PER_VU} dashboards × ${CHURN_RATE} swaps/s → ${TARGET}`, env: __ENV });
}
