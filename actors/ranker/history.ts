/**
 * Candle history for charts: request/reply on `cmd.candles.history` (the edge's
 * `history` op asks here).
 *
 * Request  `{"symbol":"BTC-USD","tf":"1m","limit":1440,"before":1764750000000}`
 *          (tf 1m|5m|15m|1h|1d, default 1m; limit 1..1500, default 1440; `before`: only
 *          candles starting before this time, for paging back)
 * Reply    `{"symbol":"BTC-USD","interval":"1m","candles":[CandleData...]}` oldest first,
 *          one candle per period (the final one, or the latest in-progress one), or
 *          `{"error":{"code":"bad_request"|"unavailable","message":"..."}}`.
 *
 * Read from the ROOMLOG stream (24 h of `room.candles.<SYMBOL>.<tf>`), so every ranker
 * instance can answer, leader or not (queue group "ranker-history"). What ROOMLOG does
 * not hold (before the first live candle: a fresh start, or older than its retention)
 * comes from the venue's klines REST (backfill.ts), marked `source: "venue"`.
 */
import { z } from "zod";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { decode } from "../../lib/contracts/codec.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { STREAM } from "../../lib/platform/streams.ts";
import type { JetStreamManager } from "@nats-io/jetstream";
import { CANDLE_TIMEFRAMES, CandleData, type CandleTimeframe } from "../../lib/contracts/protocol.ts";
import { readStream } from "../coalescer/jetstream-read.ts";
import type { VenueKlines } from "./backfill.ts";
import { floorTo } from "./watermark.ts";

export const MAX_HISTORY = 1500;
const DEFAULT_LIMIT = 1440;
const TFS = Object.keys(CANDLE_TIMEFRAMES) as [CandleTimeframe, ...CandleTimeframe[]];

export const CandleHistoryRequest = z.object({
  symbol: z.string().regex(/^[A-Za-z0-9_-]+$/, "a symbol like BTC-USD"),
  tf: z.enum(TFS).optional(),
  limit: z.number().int().min(1).max(MAX_HISTORY).optional(),
  before: z.number().int().nonnegative().optional(),
});
export type CandleHistoryRequest = z.infer<typeof CandleHistoryRequest>;

export const CandleHistoryReply = z.union([
  z.object({ symbol: z.string(), interval: z.enum(TFS), candles: z.array(CandleData) }),
  z.object({ error: z.object({ code: z.enum(["bad_request", "unavailable"]), message: z.string() }) }),
]);
export type CandleHistoryReply = z.infer<typeof CandleHistoryReply>;

const dec = new TextDecoder();

/** One candle per minute from room messages in stream order: a final one wins over partials, later over earlier. */
export function mergeCandles(msgs: Iterable<CandleData>, limit: number): CandleData[] {
  const byStart = new Map<number, CandleData>();
  for (const c of msgs) {
    const cur = byStart.get(c.start);
    if (!cur || c.final || !cur.final) byStart.set(c.start, c);
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start).slice(-limit);
}

/** Read a symbol's candles of one timeframe from ROOMLOG (start < before). */
export async function readCandles(js: JetStreamClient, symbol: string, limit: number, now: number, tf: CandleTimeframe = "1m", before = Infinity): Promise<CandleData[]> {
  const found: CandleData[] = [];
  const iv = CANDLE_TIMEFRAMES[tf];
  const subject = subjects.room(rooms.candles(symbol, tf));
  const end = Math.min(before, now + iv);
  const fromTs = end - (limit + 2) * iv;
  // Candle messages are published when a period closes (or while it forms): start them a period early.
  const from = fromTs < now - 86_400_000 ? { all: true as const } : { startTime: new Date(Math.max(0, fromTs)) };
  await readStream(js, STREAM.roomLog, subject, from, (m) => {
    const env = JSON.parse(dec.decode(m.data)) as { data?: unknown };
    const c = CandleData.safeParse(env.data);
    if (c.success && c.data.start < before) found.push(c.data);
  }, { idleMs: 2000 });
  return mergeCandles(found, limit);
}

export interface HistorySources {
  js: JetStreamClient;
  jsm?: JetStreamManager;
  klines?: VenueKlines;
  now: () => number;
}

/** The venue a symbol's ticks or trades come from (MD subjects), preferring one with klines. */
async function venuesOf(jsm: JetStreamManager, symbol: string): Promise<string[]> {
  const out = new Set<string>();
  for (const filter of [`md.trade.*.${symbol}`, `md.tick.*.${symbol}`]) {
    const info = await jsm.streams.info(STREAM.md, { subjects_filter: filter });
    for (const subj of Object.keys(info.state.subjects ?? {})) out.add(subj.split(".")[2]!);
  }
  return [...out];
}

/** ROOMLOG candles, preceded by the venue's klines for the periods ROOMLOG does not reach. */
export async function candleHistory(src: HistorySources, req: CandleHistoryRequest): Promise<CandleData[]> {
  const tf = req.tf ?? "1m";
  const iv = CANDLE_TIMEFRAMES[tf];
  const limit = req.limit ?? DEFAULT_LIMIT;
  const now = src.now();
  const before = req.before ?? Infinity;
  const live = await readCandles(src.js, req.symbol, limit, now, tf, before);
  if (live.length >= limit || !src.klines || !src.jsm) return live;
  const venue = (await venuesOf(src.jsm, req.symbol)).find((v) => src.klines!.supports(v));
  if (!venue) return live;
  // Up to the first live candle, or (none) up to `before` / including the forming period.
  const to = live[0]?.start ?? (Number.isFinite(before) ? floorTo(before - 1, iv) + iv : floorTo(now, iv) + iv);
  const from = to - (limit - live.length) * iv;
  const older = await src.klines.candles(venue, req.symbol, tf, iv, from, Math.min(to, Number.isFinite(before) ? before : Infinity));
  return [...older, ...live].slice(-limit);
}

/** Answer history requests until unsubscribed. */
export function serveCandleHistory(nc: NatsConnection, js: JetStreamClient, now: () => number, extra: { jsm?: JetStreamManager; klines?: VenueKlines } = {}): Subscription {
  const enc = new TextEncoder();
  return nc.subscribe(subjects.candleHistory, {
    queue: "ranker-history",
    callback: (_err, msg) => {
      const req = decode(CandleHistoryRequest, msg.data);
      if (!req.ok) {
        msg.respond(enc.encode(JSON.stringify({ error: { code: "bad_request", message: req.error } })));
        return;
      }
      candleHistory({ js, now, ...extra }, req.value).then(
        (candles) => msg.respond(enc.encode(JSON.stringify({ symbol: req.value.symbol, interval: req.value.tf ?? "1m", candles }))),
        (err) => msg.respond(enc.encode(JSON.stringify({ error: { code: "unavailable", message: String((err as Error)?.message ?? err) } }))),
      );
    },
  });
}
