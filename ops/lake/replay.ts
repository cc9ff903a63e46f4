/**
 * `tickflow replay --from T1 --to T2 [--symbols A,B] [--speed 10] [--id ID]`: reads the
 * ticks of a past range from the lake and republishes them, paced, as the live
 * coalescer would have: every interval (100 ms of wall time) one `ticker.<SYMBOL>`
 * update per symbol that ticked and one `ticker.all` update, in the live wire format,
 * to the rooms `replay.<id>.ticker.…` (core NATS `room.replay.<id>.…`: no stream keeps
 * them, so a replay never touches the live rooms' storage). The edge forwards them like
 * any room; the dashboard opened with `?replay=<id>` shows them.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { encodeRoomUpdate } from "../../lib/contracts/rooms.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { checkReplayQuery, type ReplayQuery, replayRoomPrefix, type ReplayWindow, replayWindows } from "../../lib/lake/replay.ts";
import { fetchKeys, type Lake } from "./lake.ts";
import { scopedKeys } from "./query.ts";

export interface ReplayOptions {
  id: string;
  /** Lake time per wall time; default 1. */
  speed: number;
  /** Wall time between publishes, like the coalescer's interval; default 100 ms. */
  intervalMs: number;
  /** Wall time to wait before the first publish (time to open the dashboard); default 0. */
  delayMs: number;
}

export interface ReplayReport {
  id: string;
  windows: number;
  /** `ticker.<SYMBOL>` updates published. */
  tickers: number;
  symbols: number;
  /** Lake time of the last window's end (ms), or undefined when the range held no ticks. */
  lastEnd?: number;
  wallMs: number;
}

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Publish replay windows, paced: the window ending at lake time `end` goes out at
 * start + (end − from) / speed. Each room's `seq` counts from 1; `ts` is the wall clock
 * at publish (the producer's clock, as for live rooms), the tick times are in `exchTs`.
 */
export async function publishReplay(
  nc: NatsConnection,
  windows: AsyncIterable<ReplayWindow>,
  from: number,
  o: ReplayOptions,
): Promise<ReplayReport> {
  const prefix = replayRoomPrefix(o.id);
  const seqs = new Map<string, number>();
  const next = (room: string) => {
    const s = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, s);
    return s;
  };
  if (o.delayMs > 0) await sleep(o.delayMs);
  const start = Date.now();
  const report: ReplayReport = { id: o.id, windows: 0, tickers: 0, symbols: 0, wallMs: 0 };
  for await (const w of windows) {
    const due = start + (w.end - from) / o.speed;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const ts = Date.now();
    for (const t of w.tickers) {
      const room = `${prefix}ticker.${t.symbol}`;
      nc.publish(subjects.room(room), enc.encode(encodeRoomUpdate(room, next(room), ts, t)));
    }
    const all = `${prefix}ticker.all`;
    nc.publish(subjects.room(all), enc.encode(encodeRoomUpdate(all, next(all), ts, { tickers: w.tickers })));
    await nc.flush();
    report.windows++;
    report.tickers += w.tickers.length;
    report.lastEnd = w.end;
  }
  report.symbols = seqs.size - (report.windows > 0 ? 1 : 0);
  report.wallMs = Date.now() - start;
  return report;
}

/**
 * The whole command after parsing: for an S3 lake, download only the days' tick objects
 * the range needs into the mirror; then read and publish. Throws a RangeError for a bad range.
 */
export async function runReplay(lake: Lake, nc: NatsConnection, q: ReplayQuery, o: ReplayOptions): Promise<ReplayReport> {
  checkReplayQuery(q);
  replayRoomPrefix(o.id);
  if (lake.target.kind === "s3") {
    const keys = await scopedKeys(lake, { from: q.from, to: q.to });
    await fetchKeys(lake, keys?.get("ticks") ?? []);
  }
  const windowMs = o.intervalMs * o.speed;
  return await publishReplay(nc, replayWindows(lake.localRoot, q, windowMs), q.from.getTime(), o);
}

/** A new replay id: 8 lower-case letters and digits. */
export function newReplayId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
}
