// @ts-check
/**
 * One simulated dashboard connection: open a WebSocket, subscribe to rooms (with
 * `since` for stream rooms when reconnecting), track every room's seq to count lost
 * and duplicated updates, and — on probe sockets only — record delivery latency.
 * The message handler of a bulk (non-probe) socket does a few string operations and a
 * Map lookup; nothing is allocated per message except the event k6 hands over.
 */
import { WebSocket } from 'k6/websockets';
import { peekFrame } from './frames.js';
import { connectOk, latency, msgsLost, resyncs, seqDups, seqGaps, serverErrors, unexpectedCloses } from './metrics.js';

/** @typedef {import('./frames.js').Frame} Frame */

/**
 * @typedef {object} DashboardOptions
 * @property {string} url
 * @property {string[]} rooms
 * @property {boolean} probe record latency on this socket
 * @property {Record<string, number>} [since] last seq per stream room (reconnect); also seeds
 *   the seq tracking, so a gap across the reconnect counts as lost
 * @property {(ms: number) => void} [onLatency] replaces the default ws_delivery_latency.add
 * @property {(f: Frame, d: Dashboard) => void} [onFrame] called for every frame after tracking
 * @property {(d: Dashboard) => void} [onOpen]
 * @property {(code: number, d: Dashboard) => void} [onClose] after the socket closed (once opened or not)
 * @property {(d: Dashboard) => void} [onConnectFail] once, when the socket failed before opening
 */

/**
 * Per-room seq tracking for one socket. A snapshot (re)starts a room's sequence;
 * an update must be last + 1.
 */
export class SeqTracker {
  constructor() {
    /** @type {Map<string, number>} */
    this.last = new Map();
  }

  /**
   * @param {string} room @param {number} seq @param {boolean} snapshot
   * @returns {number} updates missing before this one (0 if none; -1 for a duplicate)
   */
  see(room, seq, snapshot) {
    const last = this.last.get(room);
    if (last === undefined || (snapshot && seq >= last)) {
      this.last.set(room, seq);
      return 0;
    }
    if (seq === last + 1) {
      this.last.set(room, seq);
      return 0;
    }
    if (seq <= last) return -1;
    this.last.set(room, seq);
    return seq - last - 1;
  }

  /** Forget a room (after unsubscribing). @param {string} room */
  forget(room) {
    this.last.delete(room);
  }
}

/** Connect errors printed so far (per VU in k6, per process in the runner). */
let warned = 0;

export class Dashboard {
  /** @param {DashboardOptions} o */
  constructor(o) {
    this.o = o;
    this.seq = new SeqTracker();
    for (const [room, seq] of Object.entries(o.since ?? {})) this.seq.last.set(room, seq);
    this.opened = false;
    this.failed = false;
    /** True once we asked to close, so the close is not counted as unexpected. */
    this.closing = false;
    this.openedAt = 0;
    this.startedAt = Date.now();
    const ws = new WebSocket(o.url);
    this.ws = ws;
    ws.onopen = () => {
      this.opened = true;
      this.openedAt = Date.now();
      connectOk.add(true);
      /** @type {{op: string, rooms: string[], since?: Record<string, number>}} */
      const sub = { op: 'subscribe', rooms: o.rooms };
      if (o.since && Object.keys(o.since).length) sub.since = o.since;
      ws.send(JSON.stringify(sub));
      if (o.onOpen) o.onOpen(this);
    };
    ws.onmessage = (e) => {
      if (!e || typeof e.data !== 'string') return;
      this.frame(peekFrame(e.data));
    };
    ws.addEventListener('close', (e) => {
      const code = Number(/** @type {any} */ (e).code ?? 1006);
      if (!this.opened) this.connectFailed();
      else if (!this.closing) unexpectedCloses.add(1, { code: String(code) });
      if (o.onClose) o.onClose(code, this);
    });
    // k6 may report a failed connect with an error event only.
    ws.onerror = (e) => {
      if (!this.opened) this.connectFailed(e && e.error);
    };
  }

  /** @param {string} [reason] */
  connectFailed(reason) {
    if (this.failed) return;
    this.failed = true;
    connectOk.add(false);
    if (reason && warned < 5) {
      warned++;
      console.warn(`connect to ${this.o.url} failed: ${reason}${warned === 5 ? ' (further connect errors not shown)' : ''}`);
    }
    if (this.o.onConnectFail) this.o.onConnectFail(this);
  }

  /** @param {Frame} f */
  frame(f) {
    const o = this.o;
    if (f.type === 'update' || f.type === 'snapshot') {
      const missing = this.seq.see(f.room, f.seq, f.type === 'snapshot');
      if (missing > 0) {
        msgsLost.add(missing);
        seqGaps.add(1);
      } else if (missing < 0) seqDups.add(1);
      if (o.probe && f.type === 'update') {
        const ms = Date.now() - f.ts;
        if (o.onLatency) o.onLatency(ms);
        else latency.add(ms);
      }
    } else if (f.type === 'resync') {
      resyncs.add(1);
      this.seq.forget(f.room);
    } else if (f.type === 'error') {
      serverErrors.add(1, { code: f.code || 'unknown' });
    }
    if (o.onFrame) o.onFrame(f, this);
  }

  /** @param {object} msg */
  send(msg) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  close() {
    if (!this.opened) this.connectFailed('still connecting when the test closed it');
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/**
 * Which sockets are probes: every `every`-th by global index, so about `probes` sockets
 * measure latency whatever the total.
 * @param {number} totalSockets @param {number} probes
 */
export function probeEvery(totalSockets, probes) {
  return probes <= 0 ? Infinity : Math.max(1, Math.floor(totalSockets / probes));
}
