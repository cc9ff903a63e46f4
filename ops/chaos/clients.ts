/**
 * A dashboard-like WebSocket client for chaos tests (`ws`): it keeps what a real client
 * keeps (the last seq of each room) and recovers the way the protocol says
 * (edge/README.md "Ordering and recovery"):
 *   - a seq gap in a stream room → subscribe again with `since` = last contiguous seq;
 *   - a closed connection → connect to the next edge URL and subscribe with `since`;
 *   - `resync` → counted; the snapshot that follows becomes the new base.
 * Stream-room updates are accepted only in order, so `accepted(room)` is exactly what a
 * client would show; a test asserts it has no hole and no repeat.
 */
import WebSocket from "ws";
import { isStreamRoom } from "../../actors/bus/subjects.ts";

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
}

export class RecoveringClient {
  private ws: WebSocket | undefined;
  private urlIndex = 0;
  private stopped = false;
  private readonly state = new Map<string, RoomState>();
  /** Connections opened (hello received). */
  connections = 0;
  closes: Array<{ code: number; at: number }> = [];
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
    for (const r of rooms) this.state.set(r, { last: 0, accepted: [], recovering: false, lastAt: 0, updates: 0, data: undefined });
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
      this.closes.push({ code, at: Date.now() });
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
      if (isStreamRoom(r) && s.last > 0) since[r] = s.last;
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
