// @ts-check
/**
 * One simulated dashboard connection: open a WebSocket, subscribe to rooms (with
 * `since` for stream rooms when reconnecting), track every room's seq to count lost
 * and duplicated updates, and — on probe sockets only — record delivery latency.
 * The message handler of a bulk (non-probe) socket does a few string operations and a
 * Map lookup; nothing is allocated per message except the event k6 hands over.
 */
import { WebSocket } from 'k6/websockets';
import { SeqTracker } from './accounting.js';
import { peekFrame } from './frames.js';
import { connectOk, latency, msgsExpected, msgsLost, msgsReceivedCounted, msgsTrailingLost, resyncs, seqDups, seqGaps, serverErrors, silentSockets, unexpectedCloses } from './metrics.js';

export { SeqTracker };

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
 * @property {boolean} [accounted] count this socket's expected/received/lost at the end
 *   (default true; false for sockets that stop reading on purpose)
 */

/** Connect errors printed so far (per VU in k6, per process in the runner). */
let warned = 0;

export class Dashboard {
  /** @param {DashboardOptions} o */
  constructor(o) {
    this.o = o;
    this.seq = new SeqTracker();
    for (const [room, seq] of Object.entries(o.since ?? {})) this.seq.seed(room, seq);
    /** When the last frame arrived (or the socket opened); silence is measured from it. */
    this.lastFrameAt = 0;
    /** True while the current silence has been counted. */
    this.silent = false;
    this.finished = false;
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
      this.openedAt = this.lastFrameAt = Date.now();
      connectOk.add(true);
      /** @type {{op: string, rooms: string[], since?: Record<string, number>}} */
      const sub = { op: 'subscribe', rooms: o.rooms };
      if (o.since && Object.keys(o.since).length) sub.since = o.since;
      ws.send(JSON.stringify(sub));
      if (o.onOpen) o.onOpen(this);
    };
    ws.onmessage = (e) => {
      if (!e || typeof e.data !== 'string') return;
      this.lastFrameAt = Date.now();
      this.silent = false;
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
      if (missing > 0) seqGaps.add(1);
      else if (missing < 0) seqDups.add(1);
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

  /**
   * Count a silence once when no frame arrived for more than `silentMs` on an open socket.
   * @param {number} now @param {number} silentMs
   */
  checkSilence(now, silentMs) {
    if (this.silent || !this.opened || this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    if (now - this.lastFrameAt <= silentMs) return;
    this.silent = true;
    silentSockets.add(1);
  }

  /**
   * Add this socket's totals to ws_msgs_expected / ws_msgs_counted / ws_msgs_lost /
   * ws_msgs_trailing_lost, once (lib/accounting.js says how they are computed).
   * @returns {import('./accounting.js').Totals | undefined}
   */
  finish() {
    if (this.finished || this.o.accounted === false) return undefined;
    this.finished = true;
    const t = this.seq.totals();
    msgsExpected.add(t.expected);
    msgsReceivedCounted.add(t.received);
    msgsLost.add(Math.max(0, t.expected - t.received));
    msgsTrailingLost.add(t.trailing);
    return t;
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
