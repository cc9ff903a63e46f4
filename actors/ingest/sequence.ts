/**
 * Per-product sequence bookkeeping: drops replayed frames (sequence at or below the last
 * one accepted) and detects gaps (a jump past the next expected sequence). The gap
 * baseline is reset whenever a product is (re)subscribed, because a venue does not
 * replay what happened while we were not listening: that first frame is not a gap.
 *
 * The replay floor holds within one upstream session only. A venue that restarts (the
 * simulator on every start, a real venue after maintenance) numbers again from lower
 * sequences; those frames are recognised as a new session by exchange time: a genuine
 * replay carries the exchange time it had the first time (never newer than the last
 * accepted frame), a new session's frame carries a newer one. A frame with the same
 * sequence as the last one stays a replay whatever its time (Binance repeats its last
 * trade id with a fresh event time when no trade happened).
 */
export type SeqCheck =
  | { type: "ok" }
  | { type: "dup" }
  | { type: "gap"; expected: number; got: number }
  /** A new upstream session: sequences restarted lower, with newer exchange time. */
  | { type: "session"; previous: number; got: number };

/** A sequence this far below the last accepted one is a venue restart, not a replay. */
const REPLAY_WINDOW = 1_000_000;

interface Floor {
  seq: number;
  /** Newest exchange time accepted in this session (ms). */
  exchTs: number;
}

/** The common answers, shared: `check` runs for every tick and allocates nothing for them. */
const OK: SeqCheck = Object.freeze({ type: "ok" });
const DUP: SeqCheck = Object.freeze({ type: "dup" });

export class SeqTracker {
  private readonly expected = new Map<string, number>();
  private readonly last = new Map<string, Floor>();

  check(key: string, seq: number, gapCheck: boolean, exchTs = 0): SeqCheck {
    const last = this.last.get(key);
    if (last !== undefined && seq <= last.seq) {
      const restarted = last.seq - seq >= REPLAY_WINDOW || (seq < last.seq && exchTs > last.exchTs);
      if (!restarted) return DUP;
      this.expected.set(key, seq + 1);
      this.last.set(key, { seq, exchTs });
      return { type: "session", previous: last.seq, got: seq };
    }
    const exp = this.expected.get(key);
    this.expected.set(key, seq + 1);
    if (last === undefined) this.last.set(key, { seq, exchTs: Math.max(exchTs, 0) });
    else {
      // In place: raiseFloor and the session branch replace the object, nothing else holds it.
      last.seq = seq;
      if (exchTs > last.exchTs) last.exchTs = exchTs;
    }
    if (gapCheck && exp !== undefined && seq > exp) return { type: "gap", expected: exp, got: seq };
    return OK;
  }

  /** The next frame of `key` starts a new baseline (after a (re)subscribe). */
  resetBaseline(key: string): void {
    this.expected.delete(key);
  }

  /**
   * Raise the replay floor, e.g. to the last tick already stored in JetStream, with its
   * exchange time so a new upstream session (lower sequences, newer time) still flows.
   */
  raiseFloor(key: string, seq: number, exchTs = Number.MAX_SAFE_INTEGER): void {
    const last = this.last.get(key);
    if (last === undefined || seq > last.seq) this.last.set(key, { seq, exchTs });
  }

  lastSeq(key: string): number | undefined {
    return this.last.get(key)?.seq;
  }

  forget(key: string): void {
    this.expected.delete(key);
    this.last.delete(key);
  }
}
