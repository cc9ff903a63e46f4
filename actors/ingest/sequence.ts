/**
 * Per-product sequence bookkeeping: drops replayed frames (sequence at or below the last
 * one accepted) and detects gaps (a jump past the next expected sequence). The gap
 * baseline is reset whenever a product is (re)subscribed, because a venue does not
 * replay what happened while we were not listening: that first frame is not a gap.
 */
export type SeqCheck = { type: "ok" } | { type: "dup" } | { type: "gap"; expected: number; got: number };

/** A sequence this far below the last accepted one is a venue restart, not a replay. */
const REPLAY_WINDOW = 1_000_000;

export class SeqTracker {
  private readonly expected = new Map<string, number>();
  private readonly last = new Map<string, number>();

  check(key: string, seq: number, gapCheck: boolean): SeqCheck {
    const last = this.last.get(key);
    if (last !== undefined && seq <= last && last - seq < REPLAY_WINDOW) return { type: "dup" };
    const exp = this.expected.get(key);
    this.expected.set(key, seq + 1);
    this.last.set(key, seq);
    if (gapCheck && exp !== undefined && seq > exp) return { type: "gap", expected: exp, got: seq };
    return { type: "ok" };
  }

  /** The next frame of `key` starts a new baseline (after a (re)subscribe). */
  resetBaseline(key: string): void {
    this.expected.delete(key);
  }

  /** Raise the replay floor, e.g. to the last sequence already stored in JetStream. */
  raiseFloor(key: string, seq: number): void {
    const last = this.last.get(key);
    if (last === undefined || seq > last) this.last.set(key, seq);
  }

  lastSeq(key: string): number | undefined {
    return this.last.get(key);
  }

  forget(key: string): void {
    this.expected.delete(key);
    this.last.delete(key);
  }
}
