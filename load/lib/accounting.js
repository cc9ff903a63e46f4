// @ts-check
/**
 * Loss accounting for one socket, per room: what it received against what the producer
 * published while it was subscribed.
 *
 * A room's subscription is split into segments. A segment starts at a snapshot (or at
 * the `since` seq of a reconnect) with base = that seq, and ends at a cutoff: the
 * producer's last published seq for the room (from the ledger, PUBLISHED_URL) when the
 * test stops counting, or the last seq seen when the segment ends early (resync, a new
 * snapshot, unsubscribe) or when there is no ledger. Then, per segment,
 *
 *   expected = end − base                       (updates the producer published after base)
 *   received = updates with base < seq ≤ end that advanced the room (each seq once)
 *   lost     = expected − received              (holes inside + trailing loss)
 *   trailing = end − last seq seen              (published but never arrived at the end)
 *
 * Summed over sockets and rooms, expected is published × subscribers. Repeats are
 * counted raw, before anything is dropped: every update whose seq is ≤ the last seen
 * (an update that arrives after a later one is a repeat here, and its slot stays lost —
 * the edge promises order). Nothing here allocates per message.
 */

/**
 * @typedef {object} Totals
 * @property {number} expected
 * @property {number} received
 * @property {number} trailing
 * @property {boolean} ledger true when the cutoff came from the producer's ledger
 */

/** @typedef {{base: number, last: number, received: number}} Segment */

export class SeqTracker {
  constructor() {
    /** Last seq seen per room (read by reconnect-storm for `since`). @type {Map<string, number>} */
    this.last = new Map();
    /** @type {Map<string, Segment>} */
    this.segments = new Map();
    /** Producer's last seq per room, set when counting stops. @type {Record<string, number> | undefined} */
    this.cutoff = undefined;
    /** Totals of segments already closed. */
    this.closed = { expected: 0, received: 0 };
  }

  /**
   * Start a room's sequence at `seq` without receiving anything (reconnect with `since`).
   * @param {string} room @param {number} seq
   */
  seed(room, seq) {
    this.last.set(room, seq);
    this.segments.set(room, { base: seq, last: seq, received: 0 });
  }

  /**
   * @param {string} room @param {number} seq @param {boolean} snapshot
   * @returns {number} updates missing before this one (0 if none; -1 for a repeat)
   */
  see(room, seq, snapshot) {
    const seg = this.segments.get(room);
    if (seg === undefined || (snapshot && seq >= seg.last)) {
      if (seg !== undefined) this.close(room);
      this.seed(room, seq);
      return 0;
    }
    if (seq <= seg.last) return -1;
    const missing = seq - seg.last - 1;
    seg.last = seq;
    this.last.set(room, seq);
    const end = this.cutoff?.[room];
    if (end === undefined || seq <= end) seg.received++;
    return missing;
  }

  /** End a room's segment at its last seq seen (resync, unsubscribe). @param {string} room */
  forget(room) {
    this.close(room);
    this.last.delete(room);
  }

  /** @param {string} room */
  close(room) {
    const seg = this.segments.get(room);
    if (!seg) return;
    this.closed.expected += seg.last - seg.base;
    this.closed.received += seg.received;
    this.segments.delete(room);
  }

  /**
   * Stop counting at the producer's last published seq per room: later updates still
   * arrive (and are checked for order) but are not counted. A room the ledger is behind
   * on ends at the last seq seen instead (the producer certainly published that).
   * @param {Record<string, number>} published
   */
  stopAt(published) {
    /** @type {Record<string, number>} */
    const cut = {};
    for (const [room, seg] of this.segments) cut[room] = Math.max(published[room] ?? seg.last, seg.last);
    this.cutoff = cut;
  }

  /** @returns {Totals} */
  totals() {
    let { expected, received } = this.closed;
    let trailing = 0;
    for (const [room, seg] of this.segments) {
      const end = this.cutoff?.[room] ?? seg.last;
      expected += end - seg.base;
      received += seg.received;
      if (end > seg.last) trailing += end - seg.last;
    }
    return { expected, received, trailing, ledger: this.cutoff !== undefined };
  }
}
