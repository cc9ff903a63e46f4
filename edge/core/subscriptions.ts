/**
 * Joining and leaving rooms: validation against the room names and the per-connection
 * cap, snapshot on join, and the replay flow for stream rooms joined with `since`
 * (core/replay.ts decides what to send; this module runs the read, its retries and the
 * hand-over to the live topic).
 */
import { ErrorCode } from "../../lib/contracts/protocol.ts";
import { type FinalPlan, Replay, type ReplayPlan, type ResyncReason, type SharedLogReader } from "./replay.ts";
import type { Room, RoomStore } from "./rooms.ts";
import type { Session } from "./session.ts";
import type { EdgeStats } from "./stats.ts";
import { SendResult } from "./transport.ts";

/** Most messages one replay sends before it gives up and resyncs. */
const MAX_REPLAY = 5000;
/** Waits before reading the log again when it has not caught up with the room yet. */
const RETRY_DELAYS = [30, 100, 300];

/** What subscriptions need from the hub. */
export interface SubscriptionIo {
  send(s: Session, frame: Uint8Array | string): SendResult;
  reject(s: Session, code: ErrorCode, message: string): void;
  endSlow(s: Session): void;
  warn?: (message: string, props?: Record<string, unknown>) => void;
}

export class Subscriptions {
  constructor(
    private readonly rooms: RoomStore,
    private readonly stats: EdgeStats,
    private readonly log: SharedLogReader,
    private readonly maxRooms: number,
    private readonly io: SubscriptionIo,
  ) {}

  subscribe(s: Session, names: string[], since: Record<string, number> | undefined): void {
    const list: Room[] = [];
    for (const name of names) {
      const r = this.rooms.open(name);
      if (!r) {
        for (const x of list) this.rooms.release(x);
        return this.io.reject(s, ErrorCode.UnknownRoom, `no such room: ${name}`);
      }
      if (!list.includes(r)) list.push(r);
    }
    let adding = 0;
    for (const r of list) if (!s.has(r)) adding++;
    if (s.roomCount + adding > this.maxRooms) {
      for (const x of list) this.rooms.release(x);
      return this.io.reject(s, ErrorCode.TooManyRooms, `at most ${this.maxRooms} rooms per connection`);
    }
    s.conn.cork(() => {
      for (const r of list) this.join(s, r, since?.[r.name]);
    });
  }

  private join(s: Session, r: Room, since: number | undefined): void {
    if (s.replays?.has(r)) return; // the replay in progress ends subscribed
    if (r.stream && since !== undefined) {
      if (s.dropLive(r)) {
        // Re-subscribing with `since` on the same connection (the client saw a seq gap).
        s.conn.unsubscribe(r.topic);
        r.subscribers--;
      }
      if (r.seq < 0 || since === r.seq) return this.goLive(s, r);
      if (since > r.seq) return this.goLive(s, r, "gap");
      return this.startReplay(s, r, since);
    }
    if (!s.rooms.includes(r)) this.goLive(s, r);
    this.sendSnapshot(s, r);
  }

  private goLive(s: Session, r: Room, resync?: ResyncReason): void {
    if (resync) {
      this.io.send(s, JSON.stringify({ type: "resync", room: r.name, reason: resync }));
      this.stats.bump(this.stats.replays, resync);
      this.sendSnapshot(s, r);
    }
    s.rooms.push(r);
    r.subscribers++;
    s.conn.subscribe(r.topic);
  }

  private sendSnapshot(s: Session, r: Room): void {
    // A rated subscription's snapshot is its base room's latest message.
    const src = r.rate ? this.rooms.byTopicName(r.rate.baseTopic) : r;
    const snap = src?.snapshot();
    if (snap) this.io.send(s, snap);
  }

  unsubscribe(s: Session, names: string[]): void {
    for (const name of names) {
      const r = this.rooms.byTopicName(`room.${name}`);
      if (!r) continue;
      if (s.dropLive(r)) {
        s.conn.unsubscribe(r.topic);
        r.subscribers--;
        this.rooms.release(r);
      } else {
        const rep = s.replays?.get(r);
        if (rep) this.cancelReplay(s, rep);
      }
    }
  }

  // ------------------------------------------------------------------ replay (stream rooms with `since`)

  private startReplay(s: Session, r: Room, since: number): void {
    const rep = new Replay(r, since, r.seq, MAX_REPLAY);
    (s.replays ??= new Map()).set(r, rep);
    (r.replaying ??= new Set()).add(rep);
    void this.runReplay(s, rep);
  }

  private async runReplay(s: Session, rep: Replay): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let plan: ReplayPlan;
      try {
        plan = rep.plan(await this.log.read(rep.room.topic));
      } catch (e) {
        this.io.warn?.("room log read for {room} failed: {error}", { room: rep.room.name, error: String(e) });
        plan = rep.fallback("unavailable");
      }
      if (rep.cancelled) return;
      if (plan.kind === "retry") {
        const delay = RETRY_DELAYS[attempt];
        if (delay !== undefined) {
          await new Promise((res) => setTimeout(res, delay));
          if (rep.cancelled) return;
          continue;
        }
        plan = rep.fallback("unavailable");
      }
      return this.finishReplay(s, rep, plan);
    }
  }

  private finishReplay(s: Session, rep: Replay, plan: FinalPlan): void {
    this.detachReplay(s, rep);
    s.conn.cork(() => {
      if (plan.kind === "send") {
        for (const f of plan.frames) {
          if (this.io.send(s, f) === SendResult.Dropped) return this.io.endSlow(s);
        }
        this.stats.bump(this.stats.replays, "replayed");
        this.stats.replayedMessages += plan.frames.length;
        this.goLive(s, rep.room);
      } else if (plan.kind === "snapshot") {
        this.stats.bump(this.stats.replays, "snapshot");
        this.sendSnapshot(s, rep.room);
        this.goLive(s, rep.room);
      } else {
        this.goLive(s, rep.room, plan.reason);
      }
    });
  }

  private cancelReplay(s: Session, rep: Replay): void {
    rep.cancelled = true;
    this.detachReplay(s, rep);
    this.rooms.release(rep.room);
  }

  private detachReplay(s: Session, rep: Replay): void {
    s.replays?.delete(rep.room);
    rep.room.replaying?.delete(rep);
  }

  /** Forget every room of a closed socket (the transport drops its topics itself). */
  dropAll(s: Session): void {
    for (const r of s.rooms) {
      r.subscribers--;
      this.rooms.release(r);
    }
    s.rooms.length = 0;
    if (s.replays) for (const rep of s.replays.values()) this.cancelReplay(s, rep);
  }
}
