// @ts-check
/**
 * Cheap reading of server frames. Room messages have a fixed prefix and field order
 * (lib/contracts/rooms.ts: {"type":"update","room":…,"seq":…,"ts":…,"data":…}), so room,
 * seq and ts are sliced out without JSON.parse — the per-message cost on bulk sockets
 * stays a few string operations. Anything else (hello, pong, resync, error) is parsed.
 */

/** @typedef {{type: string, room: string, seq: number, ts: number, code: string, reason: string}} Frame */

const UPDATE = '{"type":"update","room":"';
const SNAPSHOT = '{"type":"snapshot","room":"';

/** The frame object is reused: read it before the next call. @type {Frame} */
const frame = { type: '', room: '', seq: 0, ts: 0, code: '', reason: '' };

/**
 * @param {string} s
 * @param {number} from index of the first digit
 * @returns {number} the integer up to the next ',' (NaN if none)
 */
function intAt(s, from) {
  let n = 0;
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return i === from || s.charCodeAt(i) !== 44 ? NaN : n;
}

/** @param {string} s @returns {Frame} */
export function peekFrame(s) {
  let i = -1;
  if (s.startsWith(UPDATE)) {
    frame.type = 'update';
    i = UPDATE.length;
  } else if (s.startsWith(SNAPSHOT)) {
    frame.type = 'snapshot';
    i = SNAPSHOT.length;
  }
  if (i > 0) {
    const end = s.indexOf('"', i);
    if (end > 0 && s.startsWith(',"seq":', end + 1)) {
      const seqAt = end + 8;
      const seq = intAt(s, seqAt);
      const comma = s.indexOf(',', seqAt);
      if (!Number.isNaN(seq) && s.startsWith('"ts":', comma + 1)) {
        const ts = intAt(s, comma + 6);
        if (!Number.isNaN(ts)) {
          frame.room = s.slice(i, end);
          frame.seq = seq;
          frame.ts = ts;
          frame.code = frame.reason = '';
          return frame;
        }
      }
    }
  }
  return parseFrame(s);
}

/** The slow path: full JSON.parse. @param {string} s @returns {Frame} */
function parseFrame(s) {
  /** @type {any} */
  let v;
  try {
    v = JSON.parse(s);
  } catch (_) {
    v = { type: 'invalid' };
  }
  frame.type = typeof v.type === 'string' ? v.type : 'invalid';
  frame.room = typeof v.room === 'string' ? v.room : '';
  frame.seq = typeof v.seq === 'number' ? v.seq : NaN;
  frame.ts = typeof v.ts === 'number' ? v.ts : NaN;
  frame.code = typeof v.code === 'string' ? v.code : '';
  frame.reason = typeof v.reason === 'string' ? v.reason : '';
  return frame;
}
