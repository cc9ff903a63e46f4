/**
 * What a replay asks for, and the replay room names: checks that need no DuckDB, so the
 * edge can answer a bad `/replay` query with 400 before loading it.
 */
import { isPartitionValue } from "./partition.ts";

/** What to replay: ticks with from ≤ exchange time < to, optionally of some symbols. */
export interface ReplayQuery {
  from: Date;
  to: Date;
  /** Only these symbols (exact names); all when absent or empty. */
  symbols?: readonly string[];
}

/** A replay longer than this is refused: the CLI and the edge would hold a DuckDB scan open for days. */
export const MAX_REPLAY_MS = 7 * 86_400_000;

/** Throws a RangeError for an empty, reversed or too long range, or a symbol that is not a partition-safe name. */
export function checkReplayQuery(q: ReplayQuery): void {
  const a = q.from.getTime();
  const b = q.to.getTime();
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new RangeError("replay needs valid from and to times");
  if (b <= a) throw new RangeError(`replay: to (${q.to.toISOString()}) must be after from (${q.from.toISOString()})`);
  if (b - a > MAX_REPLAY_MS) throw new RangeError("replay: the range is longer than 7 days");
  for (const s of q.symbols ?? []) if (!isPartitionValue(s)) throw new RangeError(`replay: not a symbol name: ${JSON.stringify(s)}`);
}

/**
 * Room names of a replay: `replay.<id>.ticker.all` and `replay.<id>.ticker.<SYMBOL>`,
 * so a replay never mixes with the live rooms and several replays run side by side.
 */
export const REPLAY_ID = /^[a-z0-9]{1,16}$/;
export const replayRoomPrefix = (id: string): string => {
  if (!REPLAY_ID.test(id)) throw new RangeError(`replay id must match ${REPLAY_ID}, got ${JSON.stringify(id)}`);
  return `replay.${id}.`;
};

