/**
 * Candle history for charts: request/reply on `cmd.candles.history`.
 *
 * Request  `{"symbol":"BTC-USD","limit":1440}` (limit 1..1440, default 1440)
 * Reply    `{"symbol":"BTC-USD","interval":"1m","candles":[CandleData...]}` oldest first,
 *          one candle per minute (the final one, or the latest in-progress one), or
 *          `{"error":{"code":"bad_request"|"unavailable","message":"..."}}`.
 *
 * Read from the ROOMLOG stream (24 h of `room.candles.<SYMBOL>.1m`), so every ranker
 * instance can answer, leader or not (queue group "ranker-history").
 */
import { z } from "zod";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { decode, rooms, STREAM, subjects } from "../bus/mod.ts";
import { CandleData } from "../../edge/protocol.ts";
import { readStream } from "../coalescer/jetstream-read.ts";
import { MINUTE } from "./candles.ts";

export const MAX_HISTORY = 1440;

export const CandleHistoryRequest = z.object({
  symbol: z.string().regex(/^[A-Za-z0-9_-]+$/, "a symbol like BTC-USD"),
  limit: z.number().int().min(1).max(MAX_HISTORY).optional(),
});
export type CandleHistoryRequest = z.infer<typeof CandleHistoryRequest>;

export const CandleHistoryReply = z.union([
  z.object({ symbol: z.string(), interval: z.literal("1m"), candles: z.array(CandleData) }),
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

/** Read a symbol's candles from ROOMLOG. */
export async function readCandles(js: JetStreamClient, symbol: string, limit: number, now: number): Promise<CandleData[]> {
  const found: CandleData[] = [];
  const subject = subjects.room(rooms.candles(symbol));
  const from = limit >= MAX_HISTORY ? { all: true as const } : { startTime: new Date(now - (limit + 2) * MINUTE) };
  await readStream(js, STREAM.roomLog, subject, from, (m) => {
    const env = JSON.parse(dec.decode(m.data)) as { data?: unknown };
    const c = CandleData.safeParse(env.data);
    if (c.success) found.push(c.data);
  }, { idleMs: 2000 });
  return mergeCandles(found, limit);
}

/** Answer history requests until unsubscribed. */
export function serveCandleHistory(nc: NatsConnection, js: JetStreamClient, now: () => number): Subscription {
  const enc = new TextEncoder();
  return nc.subscribe(subjects.candleHistory, {
    queue: "ranker-history",
    callback: (_err, msg) => {
      const req = decode(CandleHistoryRequest, msg.data);
      if (!req.ok) {
        msg.respond(enc.encode(JSON.stringify({ error: { code: "bad_request", message: req.error } })));
        return;
      }
      const limit = req.value.limit ?? MAX_HISTORY;
      readCandles(js, req.value.symbol, limit, now()).then(
        (candles) => msg.respond(enc.encode(JSON.stringify({ symbol: req.value.symbol, interval: "1m", candles }))),
        (err) => msg.respond(enc.encode(JSON.stringify({ error: { code: "unavailable", message: String((err as Error)?.message ?? err) } }))),
      );
    },
  });
}

