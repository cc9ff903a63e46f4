// @ts-check
/**
 * reconnect-storm.js — every dashboard drops its connection at the same instant and
 * reconnects at once; how long until all are back, and did stream rooms recover exactly?
 *
 * Each socket subscribes to movers, pulse, alerts, CANDLES candle rooms and ticker
 * rooms. STORM_AT after the start, all sockets close together and reconnect right away
 * (retrying with backoff if refused), sending `since` = the last seq seen in each
 * stream room. Per socket:
 *   storm_reconnect_ms   drop → socket open again
 *   storm_recovered_ms   drop → a snapshot received for every snapshot room (state
 *                        restored); its max is the time until ALL dashboards are back
 *   storm_recovered      rate of sockets recovered before the end
 *   storm_stream_exact   per stream room: the first update after the reconnect has
 *                        seq = last seen + 1 (replayed or live: nothing skipped)
 *   storm_stream_unverified  stream rooms with no update after the reconnect by the end
 *                        (a quiet room cannot prove anything)
 * Gaps across the reconnect also count in ws_msgs_lost (the tracker is seeded with `since`).
 *
 * Knobs (__ENV):
 *   TARGET          ws URL of the edge                           ws://127.0.0.1:8080/ws
 *   VUS             VUs                                          100
 *   SOCKETS_PER_VU  sockets per VU                               10
 *   STORM_AT        when the storm hits, after the start         20s
 *   RECOVER         time allowed after the storm (test length = STORM_AT + RECOVER)  30s
 *   CANDLES         candle rooms (stream rooms) per dashboard    1
 *   TICKERS_MIN/MAX ticker rooms per dashboard                   10 / 20
 *   SYMBOLS         comma list of symbols
 *   RETRIES         reconnect attempts per socket                10
 *   RECOVER_MAX_MS  threshold on storm_recovered_ms max          15000
 *   MIN_RECOVERED   threshold on storm_recovered rate            1
 *   MIN_EXACT       threshold on storm_stream_exact rate         1
 *   MAX_LOST        threshold on ws_msgs_lost count              0
 *   SUMMARY_JSON    also write the summary data to this file
 */
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';
import { Dashboard } from './lib/dashboard.js';
import { idleUntil } from './lib/fleet.js';
import { envDurationMs, envFloat, envInt, envStr, k6Duration } from './lib/env.js';
import { TREND_STATS } from './lib/metrics.js';
import { dashboardRooms, isStreamRoom, pickSymbols, rng, symbols } from './lib/rooms.js';
import { summaryOutputs } from './lib/summary.js';

const TARGET = envStr('TARGET', 'ws://127.0.0.1:8080/ws');
const VUS = envInt('VUS', 100, 1);
const SOCKETS_PER_VU = envInt('SOCKETS_PER_VU', 10, 1);
const STORM_AT = envDurationMs('STORM_AT', '20s');
const RECOVER = envDurationMs('RECOVER', '30s');
const CANDLES = envInt('CANDLES', 1);
const TICKERS_MIN = envInt('TICKERS_MIN', 10);
const TICKERS_MAX = Math.max(TICKERS_MIN, envInt('TICKERS_MAX', 20));
const RETRIES = envInt('RETRIES', 10);
const SYMBOLS = symbols();

const reconnectMs = new Trend('storm_reconnect_ms', true);
const recoveredMs = new Trend('storm_recovered_ms', true);
const recovered = new Rate('storm_recovered');
const streamExact = new Rate('storm_stream_exact');
const streamUnverified = new Counter('storm_stream_unverified');
const reconnectFailed = new Counter('storm_reconnect_failed');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    storm: { executor: 'constant-vus', vus: VUS, duration: k6Duration(STORM_AT + RECOVER), gracefulStop: '10s' },
  },
  thresholds: {
    storm_recovered: [`rate>=${envFloat('MIN_RECOVERED', 1)}`],
    storm_recovered_ms: [`max<${envFloat('RECOVER_MAX_MS', 15000)}`],
    storm_stream_exact: [`rate>=${envFloat('MIN_EXACT', 1)}`],
    ws_msgs_lost: [`count<=${envInt('MAX_LOST', 0)}`],
  },
  summaryTrendStats: TREND_STATS,
};

/** One dashboard through the storm: before → dropped → reconnecting → recovering → recovered. */
class StormClient {
  /** @param {number} index global socket index */
  constructor(index) {
    const candles = pickSymbols(SYMBOLS, CANDLES, rng(index + 7)).map((s) => `candles.${s}.1m`);
    this.rooms = dashboardRooms(index, { symbols: SYMBOLS, min: TICKERS_MIN, max: TICKERS_MAX, extra: candles });
    this.phase = 'before';
    this.droppedAt = 0;
    this.attempts = 0;
    /** @type {Record<string, number>} */
    this.since = {};
    /** Snapshot rooms still waiting for their snapshot after the reconnect. @type {Set<string>} */
    this.waiting = new Set();
    /** Stream rooms awaiting their first update after the reconnect → last seq before. @type {Map<string, number>} */
    this.streamPending = new Map();
    this.d = this.open();
  }

  open() {
    const since = this.phase === 'before' ? undefined : this.since;
    return new Dashboard({
      url: TARGET,
      rooms: this.rooms,
      probe: false,
      since,
      onOpen: () => {
        if (this.phase !== 'reconnecting') return;
        this.phase = 'recovering';
        reconnectMs.add(Date.now() - this.droppedAt);
      },
      onFrame: (f) => this.onFrame(f.type, f.room, f.seq),
      onClose: () => this.onClose(),
      onConnectFail: () => this.retry(),
    });
  }

  drop() {
    if (this.phase !== 'before') return;
    for (const room of this.rooms) {
      const last = this.d.seq.last.get(room);
      if (isStreamRoom(room)) {
        if (last !== undefined) {
          this.since[room] = last;
          this.streamPending.set(room, last);
        }
      } else this.waiting.add(room);
    }
    this.phase = 'dropped';
    this.droppedAt = Date.now();
    this.d.close();
    this.d.finish(); // holes before the drop; the new socket's `since` seeds the rest
  }

  onClose() {
    if (this.phase === 'dropped') {
      this.phase = 'reconnecting';
      this.d = this.open();
    }
  }

  retry() {
    if (this.phase !== 'reconnecting') return;
    if (++this.attempts > RETRIES) {
      this.phase = 'failed';
      reconnectFailed.add(1);
      return;
    }
    const backoff = Math.min(2000, 100 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    setTimeout(() => {
      if (this.phase === 'reconnecting') this.d = this.open();
    }, backoff);
  }

  /** @param {string} type @param {string} room @param {number} seq */
  onFrame(type, room, seq) {
    if (this.phase !== 'recovering' && this.phase !== 'recovered') return;
    if (type === 'snapshot' && this.waiting.delete(room) && this.waiting.size === 0 && this.phase === 'recovering') {
      this.phase = 'recovered';
      recoveredMs.add(Date.now() - this.droppedAt);
      recovered.add(true);
    }
    const before = this.streamPending.get(room);
    if (before === undefined) return;
    if (type === 'update' && seq > before) {
      streamExact.add(seq === before + 1, { room: room === 'alerts' ? 'alerts' : 'candles' });
      this.streamPending.delete(room);
    } else if (type === 'resync') {
      streamExact.add(false, { room: room === 'alerts' ? 'alerts' : 'candles' });
      this.streamPending.delete(room);
    }
  }

  finish() {
    if (this.phase !== 'recovered' && this.phase !== 'before') recovered.add(false);
    streamUnverified.add(this.streamPending.size);
    this.phase = 'done';
    this.d.close();
    this.d.finish();
  }
}

export default function () {
  const start = exec.scenario.startTime;
  if (Date.now() > start + STORM_AT) {
    // Joined after the storm (an earlier iteration ended early): nothing to measure.
    return idleUntil(start + STORM_AT + RECOVER);
  }
  const base = (exec.vu.idInTest - 1) * SOCKETS_PER_VU;
  /** @type {StormClient[]} */
  const clients = [];
  for (let k = 0; k < SOCKETS_PER_VU; k++) clients.push(new StormClient(base + k));
  setTimeout(() => {
    for (const c of clients) c.drop();
  }, start + STORM_AT - Date.now());
  setTimeout(() => {
    for (const c of clients) c.finish();
  }, start + STORM_AT + RECOVER - Date.now() - 50);
}

/** @param {any} data */
export function handleSummary(data) {
  const m = data.metrics;
  const extra = [
    `all back after: ${m.storm_recovered_ms ? `${m.storm_recovered_ms.values.max.toFixed(0)} ms` : 'n/a'} (storm_recovered_ms max)`,
  ];
  return summaryOutputs(data, { title: `reconnect-storm: ${VUS * SOCKETS_PER_VU} dashboards → ${TARGET}`, extra, env: __ENV });
}
