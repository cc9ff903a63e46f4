/**
 * Recovery for stream rooms (alerts, candles.*): a client that reconnects with
 * `since` gets the messages it missed from the room log (JetStream ROOMLOG, read by
 * edge/nats/roomlog.ts), then live messages, in seq order and without duplicates.
 *
 * While the log is read, live messages for that socket and room are buffered here
 * (the socket is not yet subscribed to the topic). The replay is complete when the log
 * reaches `target`, the room's latest seq when the client asked; everything after
 * `target` is in the live buffer. A gap older than the replay window (or a log that
 * cannot be read) becomes a `resync` followed by the current snapshot.
 */
import type { Room } from "./rooms.ts";

export interface LogEntry {
  seq: number;
  bytes: Uint8Array;
}

/** Reads the stored messages of one room with seq > afterSeq, within the replay window, in seq order. */
export interface RoomLog {
  read(topic: string, afterSeq: number): Promise<LogEntry[]>;
}

/**
 * Shares one in-flight read per room among all clients replaying it (a reconnect
 * storm after an edge restart turns into one read per room): a read covers the whole
 * window and each client takes the part after its own `since`. A joined read may
 * predate a client's request; {@link Replay.plan} then asks for a fresh one. At most
 * `maxConcurrent` reads run at once (the rest wait in line, up to `maxQueued`, then
 * fail), so clients cannot turn replays into unbounded JetStream load.
 */
export class SharedLogReader {
  private readonly inflight = new Map<string, Promise<LogEntry[]>>();
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly log: RoomLog, private readonly maxConcurrent = 16, private readonly maxQueued = 10_000) {}

  read(topic: string): Promise<LogEntry[]> {
    let p = this.inflight.get(topic);
    if (p) return p;
    p = this.limited(() => this.log.read(topic, -1)).finally(() => {
      if (this.inflight.get(topic) === p) this.inflight.delete(topic);
    });
    this.inflight.set(topic, p);
    return p;
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.queue.length >= this.maxQueued) throw new Error("too many room log reads waiting");
      await new Promise<void>((r) => this.queue.push(r));
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

export type ResyncReason = "gap" | "too_old" | "unavailable";
export type ReplayPlan =
  | { kind: "send"; frames: Uint8Array[] }
  | { kind: "resync"; reason: ResyncReason }
  | { kind: "snapshot" }
  | { kind: "retry" };
export type FinalPlan = Exclude<ReplayPlan, { kind: "retry" }>;

/**
 * One socket's replay of one room. `since: 0` means the client has seen nothing of the
 * room: it gets whatever the window holds (or the snapshot when the log cannot help),
 * never a `resync`, since it has no state that could be inconsistent.
 */
export class Replay {
  cancelled = false;
  private readonly liveSeq: number[] = [];
  private readonly liveBytes: Uint8Array[] = [];
  private overflow = false;

  /**
   * @param since last seq the client saw
   * @param target the room's latest seq when the client asked (> since)
   * @param maxMessages most messages one replay may send (log + buffered live)
   */
  constructor(readonly room: Room, readonly since: number, readonly target: number, private readonly maxMessages: number) {}

  /** A live message that arrived during the replay. */
  bufferLive(seq: number, bytes: Uint8Array): void {
    if (this.liveSeq.length >= this.maxMessages) {
      this.overflow = true;
      return;
    }
    this.liveSeq.push(seq);
    this.liveBytes.push(bytes);
  }

  get fresh(): boolean {
    return this.since === 0;
  }

  /** The answer when the log cannot help: the snapshot for a fresh client, a resync for one with a position. */
  fallback(reason: ResyncReason): FinalPlan {
    return this.fresh ? { kind: "snapshot" } : { kind: "resync", reason };
  }

  /** What to do with a log read: send these frames, resync, or read again (log behind `target`). */
  plan(entries: LogEntry[]): ReplayPlan {
    if (this.overflow) return this.fallback("unavailable");
    let i = 0;
    while (i < entries.length && entries[i]!.seq <= this.since) i++;
    // Nothing after `since` yet: the log has not stored the newest message; ask again.
    if (i === entries.length) return { kind: "retry" };
    // The first missed message is gone (older than the window or the stream's age limit).
    if (!this.fresh && entries[i]!.seq !== this.since + 1) return { kind: "resync", reason: "too_old" };
    const last = entries[entries.length - 1]!.seq;
    if (last < this.target) return { kind: "retry" };
    if (entries.length - i + this.liveSeq.length > this.maxMessages) return this.fallback("too_old");
    const frames: Uint8Array[] = [];
    let prev = this.since;
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.seq <= prev) continue; // the log never repeats a seq, but a producer retry could
      frames.push(e.bytes);
      prev = e.seq;
    }
    for (let j = 0; j < this.liveSeq.length; j++) {
      if (this.liveSeq[j]! <= prev) continue;
      frames.push(this.liveBytes[j]!);
      prev = this.liveSeq[j]!;
    }
    return { kind: "send", frames };
  }
}
