// @ts-check
/**
 * Which rooms a simulated dashboard subscribes to. Choices are seeded by the socket's
 * global index, so a run is reproducible and every runner process agrees.
 */
import { envList } from './env.js';

/** The symbols the simulator and the mini edge publish by default (override with SYMBOLS). */
export const DEFAULT_SYMBOLS = [
  'BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD', 'ADA-USD', 'DOGE-USD', 'AVAX-USD', 'DOT-USD',
  'LINK-USD', 'LTC-USD', 'BCH-USD', 'UNI-USD', 'ATOM-USD', 'XLM-USD', 'ETC-USD', 'FIL-USD',
  'APT-USD', 'ARB-USD', 'OP-USD', 'NEAR-USD', 'ICP-USD', 'AAVE-USD', 'ALGO-USD', 'SHIB-USD',
  'HBAR-USD', 'MKR-USD', 'GRT-USD', 'INJ-USD', 'SUI-USD', 'SEI-USD',
];

export function symbols() {
  return envList('SYMBOLS', DEFAULT_SYMBOLS);
}

/** mulberry32: a tiny seeded PRNG. @param {number} seed */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` distinct symbols picked with `rand`.
 * @param {string[]} syms @param {number} n @param {() => number} rand
 */
export function pickSymbols(syms, n, rand) {
  const pool = syms.slice();
  const out = [];
  for (let i = 0; i < n && pool.length; i++) out.push(/** @type {string} */ (pool.splice(Math.floor(rand() * pool.length), 1)[0]));
  return out;
}

/**
 * Rooms of one dashboard: movers, pulse, alerts and `min`…`max` ticker rooms.
 * @param {number} socketIndex global index of the socket (seed)
 * @param {{symbols: string[], min: number, max: number, extra?: string[]}} o
 */
export function dashboardRooms(socketIndex, o) {
  const rand = rng(socketIndex * 2654435761 + 1);
  const n = o.min + Math.floor(rand() * (o.max - o.min + 1));
  return ['movers', 'pulse', 'alerts', ...(o.extra ?? []), ...pickSymbols(o.symbols, n, rand).map((s) => `ticker.${s}`)];
}

/** Stream rooms keep every message and can be replayed with `since` (alerts, candles.*). @param {string} room */
export function isStreamRoom(room) {
  return room === 'alerts' || room.startsWith('candles.');
}
