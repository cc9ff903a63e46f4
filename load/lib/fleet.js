// @ts-check
/**
 * The sockets one VU holds: SOCKETS_PER_VU dashboards, each with its rooms seeded by
 * its global index, a share of them probes. Used by fanout, soak and slow-consumers.
 */
import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';
import { Dashboard } from './dashboard.js';
import { dashboardRooms } from './rooms.js';

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
  setTimeout(() => {
    if (before) before();
    for (const d of ds) d.close();
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
