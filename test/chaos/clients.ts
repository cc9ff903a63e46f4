/**
 * A dashboard-like WebSocket client for chaos tests (`ws`): it keeps what a real client
 * keeps (the last seq of each room) and recovers the way the protocol says
 * (edge/README.md "Ordering and recovery"):
 *   - a seq gap in a stream room → subscribe again with `since` = last contiguous seq;
 *   - a closed connection → connect to the next edge URL and subscribe with `since`;
 *   - `resync` → counted; the snapshot that follows becomes the new base.
 * Stream-room updates are accepted only in order, so `accepted(room)` is exactly what a
 * client would show. What arrived is also counted raw, before that de-duplication:
 * `audit()` compares it with the producer's last published seq per room (duplicates,
 * holes, trailing loss, lost = expected − received, sockets closed unexpectedly, rooms
 * silent for more than 3 × their interval), so a check on it can fail.
 */
import WebSocket from "ws";
import { isStreamRoom } from "../../lib/contracts/subjects.ts";

interface Frame {
  type: string;
  room?: string;
  seq?: number;
  [k: string]: unknown;
}

interface RoomState {
  last: number;
  accepted: number[];
  /** A `since` subscribe is in flight; later frames are ignored until the hole is filled. */
  recovering: boolean;
  lastAt: number;
  updates: number;
  data: unknown;
  /** Every seq that arrived (update or snapshot), before any de-duplication. */
  seen: Set<number>;
  /** Frames whose seq had already arrived: raw duplicates. */
  duplicates: number;
  /** Seqs asked for again by a `since` subscribe: their next arrival is not a duplicate. */
  excused: Set<number>;
}

/** What a client received against what the producer published; see {@link RecoveringClient.audit}. */
export interface Audit {
  expected: number;
  received: number;
  duplicates: number;
  /** Seqs missing before the newest one received. */
  holes: number;
  /** Seqs after the newest one received, up to the producer's last. */
  trailing: number;
  /** expected − received. */
  lost: number;
  unexpectedCloses: number;
  /** Rooms whose newest frame is older than 3 × their interval. */
  silentRooms: string[];
}

export class RecoveringClient {
  private ws: WebSocket | undefined;
  private urlIndex = 0;
  private stopped = false;
  private readonly state = new Map<string, RoomState>();
  /** Connections opened (hello received). */
  connections = 0;
  closes: Array<{ code: number; at: number; unexpected?: boolean }> = [];
  /** Time of the latest hello. */
  helloAt = 0;
  resyncs = 0;
  snapshots = 0;
  gapsRecovered = 0;
  /** Stream-room frames at or below the last accepted seq (ignored). */
  repeats = 0;
  /** Server id of the current connection. */
  server = "";

  constructor(private readonly urls: string[], readonly rooms: string[], private readonly reconnectMs = 100) {
    for (const r of rooms) {
      this.state.set(r, { last: 0, accepted: [], recovering: false, lastAt: 0, updates: 0, data: undefined, seen: new Set(), duplicates: 0, excused: new Set() });
    }
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const url = this.urls[this.urlIndex % this.urls.length]!;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws = ws;
    ws.on("message", (data) => this.onFrame(data.toString()));
    ws.on("error", () => { /* a close follows */ });
    ws.on("close", (code) => {
      if (this.ws !== ws) return;
      this.closes.push({ code, at: Date.now(), unexpected: !this.stopped });
      // Move on to the next edge; a stateless edge takes any client.
      this.urlIndex++;
      for (const s of this.state.values()) s.recovering = false;
      if (!this.stopped) setTimeout(() => this.open(), this.reconnectMs);
    });
  }

  private send(msg: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private subscribe(rooms: string[]): void {
    const since: Record<string, number> = {};
    for (const r of rooms) {
      const s = this.state.get(r)!;
      if (isStreamRoom(r) && s.last > 0) {
        since[r] = s.last;
        for (const q of s.seen) if (q > s.last) s.excused.add(q);
      }
    }
    this.send({ op: "subscribe", rooms, ...(Object.keys(since).length ? { since } : {}) });
  }

  private onFrame(text: string): void {
    let f: Frame;
    try {
      f = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    if (f.type === "hello") {
      this.connections++;
      this.helloAt = Date.now();
      this.server = String(f.server ?? "");
      this.subscribe(this.rooms);
      return;
    }
    if (f.type === "resync") {
      this.resyncs++;
      return;
    }
    if (!f.room || f.seq === undefined) return;
    const s = this.state.get(f.room);
    if (!s) return;
    s.lastAt = Date.now();
    s.data = f.data;
    // A snapshot may repeat the newest seq (that is what joining shows); an update never may.
    if (!s.seen.has(f.seq)) s.seen.add(f.seq);
    else if (s.excused.has(f.seq)) s.excused.delete(f.seq);
    else if (f.type === "update") s.duplicates++;
    if (f.type === "snapshot") this.snapshots++;
    if (!isStreamRoom(f.room)) {
      s.updates++;
      s.last = Math.max(s.last, f.seq);
      return;
    }
    if (f.type === "snapshot") {
      // A fresh start or the end of a resync: this is the new base.
      if (f.seq > s.last) {
        s.last = f.seq;
        s.accepted.push(f.seq);
      }
      s.recovering = false;
      return;
    }
    if (f.seq <= s.last) {
      this.repeats++;
      return;
    }
    if (f.seq === s.last + 1 || s.last === 0) {
      s.last = f.seq;
      s.accepted.push(f.seq);
      s.updates++;
      if (s.recovering) {
        s.recovering = false;
        this.gapsRecovered++;
      }
      return;
    }
    // A hole: ask for what is missing once, ignore what comes until it is filled.
    if (!s.recovering) {
      s.recovering = true;
      this.subscribe([f.room]);
    }
  }

  /** Last seq seen in a room (accepted in order, for stream rooms). */
  last(room: string): number {
    return this.state.get(room)?.last ?? 0;
  }

  /** Time the latest frame of a room arrived. */
  lastAt(room: string): number {
    return this.state.get(room)?.lastAt ?? 0;
  }

  /** `data` of the latest frame of a room. */
  lastData(room: string): unknown {
    return this.state.get(room)?.data;
  }

  /** Stream-room seqs accepted, in order. */
  accepted(room: string): number[] {
    return this.state.get(room)?.accepted ?? [];
  }

  /**
   * Received against published, counted from the raw arrivals: `producerLast` is the
   * producer's last published seq per room (seqs `from`..last were published, default
   * from 1), `intervalMs` the rooms' expected interval (silent after 3 ×).
   */
  audit(producerLast: Record<string, number>, intervalMs: number, from = 1, now = Date.now()): Audit {
    const a: Audit = { expected: 0, received: 0, duplicates: 0, holes: 0, trailing: 0, lost: 0, unexpectedCloses: 0, silentRooms: [] };
    for (const [room, last] of Object.entries(producerLast)) {
      const s = this.state.get(room);
      if (!s) throw new RangeError(`audit: room ${room} is not one of this client's rooms (${this.rooms.join(", ")})`);
      let received = 0;
      let newest = from - 1;
      for (const q of s.seen) {
        if (q < from || q > last) continue;
        received++;
        if (q > newest) newest = q;
      }
      a.expected += Math.max(0, last - from + 1);
      a.received += received;
      a.duplicates += s.duplicates;
      a.trailing += last - newest;
      a.holes += newest - from + 1 - received;
      if (now - s.lastAt > 3 * intervalMs) a.silentRooms.push(room);
    }
    a.lost = a.expected - a.received;
    a.unexpectedCloses = this.closes.filter((c) => c.unexpected).length;
    return a;
  }

  close(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

/** Seq holes (missing numbers) and repeats in an accepted list that should run first..last. */
export function holesAndRepeats(seqs: number[]): { holes: number; repeats: number } {
  let holes = 0;
  let repeats = 0;
  for (let i = 1; i < seqs.length; i++) {
    const d = seqs[i]! - seqs[i - 1]!;
    if (d <= 0) repeats++;
    else holes += d - 1;
  }
  return { holes, repeats };
}
