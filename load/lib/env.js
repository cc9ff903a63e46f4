// @ts-check
/**
 * Reading the scripts' knobs from __ENV with defaults and clear errors. Durations use
 * k6's syntax ("30s", "1m30s", "500ms").
 */

/** @param {string} name @param {string} msg */
function bad(name, msg) {
  return new Error(`__ENV.${name}: ${msg}, got ${JSON.stringify(__ENV[name])}`);
}

/** @param {string} name @param {string} dflt */
export function envStr(name, dflt) {
  const v = __ENV[name];
  return v === undefined || v === '' ? dflt : v;
}

/** @param {string} name @param {number} dflt @param {number} [min] */
export function envInt(name, dflt, min = 0) {
  const v = __ENV[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw bad(name, `expected an integer ≥ ${min}`);
  return n;
}

/** @param {string} name @param {number} dflt */
export function envFloat(name, dflt) {
  const v = __ENV[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw bad(name, 'expected a number');
  return n;
}

/** @param {string} name @param {boolean} dflt */
export function envBool(name, dflt) {
  const v = __ENV[name];
  if (v === undefined || v === '') return dflt;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw bad(name, 'expected true/false');
}

/** @param {string} name @param {string[]} dflt */
export function envList(name, dflt) {
  const v = __ENV[name];
  if (v === undefined || v === '') return dflt;
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

const UNITS = /** @type {Record<string, number>} */ ({ h: 3600000, m: 60000, s: 1000, ms: 1 });

/** Milliseconds of a k6 duration string ("1m30s"); a bare number is seconds. @param {string} s */
export function durationMs(s) {
  const t = String(s).trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  let total = 0;
  let rest = t;
  while (rest.length) {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!m || !m[1] || !m[2]) throw new Error(`bad duration ${JSON.stringify(s)}: expected e.g. "30s", "1m30s", "500ms"`);
    total += Number(m[1]) * (UNITS[m[2]] ?? 0);
    rest = rest.slice(m[0].length);
  }
  if (!t) throw new Error('empty duration');
  return total;
}

/** @param {string} name @param {string} dflt @returns {number} ms */
export function envDurationMs(name, dflt) {
  try {
    return durationMs(envStr(name, dflt));
  } catch (e) {
    throw bad(name, /** @type {Error} */ (e).message);
  }
}

/** A duration in ms back to a k6 string for options. @param {number} ms */
export function k6Duration(ms) {
  return `${Math.max(0, Math.round(ms))}ms`;
}
