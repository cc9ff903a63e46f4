// @ts-check
/**
 * The sockets one VU holds: SOCKETS_PER_VU dashboards, each with its rooms seeded by
 * its global index, a share of them probes. Used by fanout, soak and slow-consumers.
 *
 * While they are held, every open socket is checked for silence (no frame for more than
 * 3 × ROOM_INTERVAL → ws_silent_sockets). DRAIN before the end, the producer's ledger
 * (PUBLISHED_URL: GET → {"rooms": {room: last published seq}}) fixes where counting
 * stops; the sockets stay open for DRAIN so what was in flight arrives, then they close
 * and each adds expected / received / lost / trailing (lib/accounting.js). Without
 * PUBLISHED_URL a room's count ends at the last seq the socket saw, so trailing loss is
 * not measured (the summary says so).
 */
import exec from 'k6/execution';
import http from 'k6/http';
import { clearInterval, setInterval, setTimeout } from 'k6/timers';
import { Dashboard } from './dashboard.js';
import { envDurationMs, envStr } from './env.js';
import { ledgerErrors } from './metrics.js';
import { dashboardRooms } from './rooms.js';

const PUBLISHED_URL = envStr('PUBLISHED_URL', '');
const DRAIN_MS = envDurationMs('DRAIN', '1s');
/** A socket with no frame for longer than this is counted silent (3 × the room interval). */
const SILENT_MS = 3 * envDurationMs('ROOM_INTERVAL', '1s');

/** Ledger errors printed so far. */
let ledgerWarned = 0;

/**
 * Fetch the producer's last published seq per room and stop the dashboards' counting there.
 * @param {Dashboard[]} ds
 */
async function stopCounting(ds) {
  try {
    const res = await http.asyncRequest('GET', PUBLISHED_URL, null, { timeout: '5s' });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const rooms = JSON.parse(String(res.body)).rooms;
    if (!rooms || typeof rooms !== 'object') throw new Error('no "rooms" object in the answer');
    for (const d of ds) d.seq.stopAt(rooms);
  } catch (e) {
    ledgerErrors.add(1);
    if (ledgerWarned++ < 3) console.warn(`PUBLISHED_URL ${PUBLISHED_URL}: ${e}; trailing loss not measured for these sockets`);
  }
}

/**
 * @typedef {object} FleetOptions
 * @property {string} url
 * @property {number} socketsPerVu
 * @property {string[]} symbols
 * @property {number} tickersMin
 * @property {number} tickersMax
 * @property {number} probeEvery every n-th socket (by global index) records latency
 * @property {string[]} [extraRooms]
 * @property {(index: number, probe: boolean) => Partial<import('./dashboard.js').DashboardOptions>} [perSocket]
 */

/** @param {FleetOptions} o @returns {Dashboard[]} */
export function openFleet(o) {
  const base = (exec.vu.idInTest - 1) * o.socketsPerVu;
  const out = [];
  for (let k = 0; k < o.socketsPerVu; k++) {
    const index = base + k;
    const probe = Number.isFinite(o.probeEvery) && index % o.probeEvery === 0;
    const rooms = dashboardRooms(index, { symbols: o.symbols, min: o.tickersMin, max: o.tickersMax, extra: o.extraRooms });
    out.push(new Dashboard({ url: o.url, rooms, probe, ...(o.perSocket ? o.perSocket(index, probe) : {}) }));
  }
  return out;
}

/**
 * Keep the dashboards until `endAt` (Unix ms), then close them; the pending timer is
 * what keeps the k6 iteration (and its sockets) alive until then.
 * @param {Dashboard[]} ds @param {number} endAt @param {() => void} [before] runs just before closing
 */
export function closeAt(ds, endAt, before) {
  const silence = setInterval(() => {
    const now = Date.now();
    for (const d of ds) d.checkSilence(now, SILENT_MS);
  }, Math.min(1000, SILENT_MS / 3));
  if (PUBLISHED_URL) setTimeout(() => void stopCounting(ds), Math.max(0, endAt - DRAIN_MS - Date.now()));
  setTimeout(() => {
    clearInterval(silence);
    if (before) before();
    for (const d of ds) d.close();
    for (const d of ds) d.finish();
  }, Math.max(0, endAt - Date.now()));
}

/**
 * An iteration that starts too late to do anything idles until `endAt` instead of
 * returning (which would make the executor start the next one at once, in a busy loop).
 * @param {number} endAt Unix ms
 */
export function idleUntil(endAt) {
  setTimeout(() => {}, Math.max(0, endAt - Date.now()));
}
