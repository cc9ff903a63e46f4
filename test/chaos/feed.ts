/**
 * What chaos tests publish and read back: a tick feed that keeps going through outages
 * and remembers which ticks JetStream acknowledged, a stream-room feed with
 * contiguous seqs (a failed publish is retried with the same msgID, so the room log
 * never has a hole), and "is every tick of the MD stream in the lake exactly once".
 */
import { headers } from "@nats-io/nats-core";
import type { JetStreamClient } from "@nats-io/jetstream";
import { encode } from "../../lib/contracts/codec.ts";
import { encodeRoomUpdate, ROOM_SEQ_HEADER } from "../../lib/contracts/rooms.ts";
import { msgIds } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { Tick, TickBatch } from "../../lib/contracts/messages.ts";
import { queryLocalLake, ticksInStream } from "../../actors/archiver/testing.ts";
import { sleep } from "./procs.ts";

/** Publishes a TickBatch per symbol every `everyMs` until stopped; `acked` holds `symbol/seq` of every acknowledged tick. */
export class TickFeed {
  readonly acked = new Set<string>();
  published = 0;
  failed = 0;
  private running = true;
  private readonly done: Promise<void>;
  private readonly seq = new Map<string, number>();

  constructor(private readonly js: JetStreamClient, readonly symbols: string[], o: { everyMs?: number; perBatch?: number; venue?: string } = {}) {
    this.done = this.loop(o.everyMs ?? 50, o.perBatch ?? 2, o.venue ?? "sim");
  }

  private async loop(everyMs: number, perBatch: number, venue: string): Promise<void> {
    while (this.running) {
      const t0 = Date.now();
      await Promise.all(this.symbols.map(async (symbol, i) => {
        const first = (this.seq.get(symbol) ?? 0) + 1;
        const ticks: Tick[] = [];
        for (let k = 0; k < perBatch; k++) {
          const seq = first + k;
          const price = 100 + i + Math.sin(seq / 10);
          ticks.push({ venue, symbol, price, bid: price - 0.01, ask: price + 0.01, exchTs: t0, recvTs: t0, seq });
        }
        this.seq.set(symbol, first + perBatch - 1);
        const batch: TickBatch = { v: 1, ticks };
        this.published += perBatch;
        try {
          await this.js.publish(subjects.tick(venue, symbol), encode(batch), {
            msgID: msgIds.ticks(venue, symbol, first, first + perBatch - 1),
            timeout: 1000,
          });
          for (const t of ticks) this.acked.add(`${symbol}/${t.seq}`);
        } catch {
          this.failed += perBatch; // NATS down: not acknowledged (it may still have been stored)
        }
      }));
      await sleep(Math.max(0, everyMs - (Date.now() - t0)));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * Publishes room updates of one stream room (seq 1, 2, …) through JetStream every
 * `everyMs`. A publish that gets no ack is retried with the same msgID until it does,
 * so the stored seqs are contiguous whatever happens to NATS. `acked` is the last seq stored.
 */
export class RoomFeed {
  acked = 0;
  retries = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly js: JetStreamClient, readonly room: string, everyMs = 100) {
    this.done = this.loop(everyMs);
  }

  private async loop(everyMs: number): Promise<void> {
    while (this.running) {
      const seq = this.acked + 1;
      const h = headers();
      h.set(ROOM_SEQ_HEADER, String(seq));
      const data = { id: `chaos-${seq}`, symbol: "CHAOS-USD", kind: "test", message: `alert ${seq}`, at: Date.now() };
      try {
        await this.js.publish(subjects.room(this.room), encodeRoomUpdate(this.room, seq, Date.now(), data), {
          msgID: msgIds.room(this.room, seq),
          headers: h,
          timeout: 1000,
        });
        this.acked = seq;
        await sleep(everyMs);
      } catch {
        this.retries++;
        await sleep(100);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export interface LakeCheck {
  /** Ticks in the MD stream. */
  stream: number;
  /** Rows in the lake. */
  lake: number;
  /** Stream ticks missing from the lake. */
  lost: number;
  /** Lake rows beyond one per (symbol, seq). */
  duplicates: number;
  /** Lake rows that are not in the stream. */
  extra: number;
  /** Up to 20 rows of duplicated ticks: symbol, venue seq, stream seq, file. */
  duplicateRows?: Record<string, unknown>[];
}

/** Compares the set of (symbol, venue seq) in the MD stream with the rows of a local lake. */
export async function compareLakeWithStream(js: JetStreamClient, lakeRoot: string): Promise<LakeCheck & { streamKeys: Set<string> }> {
  const streamKeys = new Set(await ticksInStream(js));
  const rows = await queryLocalLake(lakeRoot, "SELECT symbol, venue_seq::BIGINT AS s FROM ticks");
  const lakeKeys = rows.map((r) => `${String(r.symbol)}/${String(r.s)}`);
  const distinct = new Set(lakeKeys);
  let lost = 0;
  for (const k of streamKeys) if (!distinct.has(k)) lost++;
  let extra = 0;
  for (const k of distinct) if (!streamKeys.has(k)) extra++;
  const duplicates = lakeKeys.length - distinct.size;
  // Which stream messages and files a duplicate came from (a redelivery written twice
  // has one _seq in two files; a message stored twice has two _seqs).
  const duplicateRows = duplicates === 0 ? [] : await queryLocalLake(
    lakeRoot,
    `SELECT symbol, venue_seq::BIGINT AS s, _seq::BIGINT AS stream_seq, replace(filename, '${lakeRoot.replaceAll("'", "''")}/', '') AS file
       FROM read_parquet('${`${lakeRoot}/ticks/**/*.parquet`.replaceAll("'", "''")}', filename = true)
      WHERE (symbol, venue_seq) IN (SELECT (symbol, venue_seq) FROM ticks GROUP BY ALL HAVING count(*) > 1)
      ORDER BY ALL LIMIT 20`,
  );
  return { stream: streamKeys.size, lake: lakeKeys.length, lost, duplicates, extra, streamKeys, duplicateRows };
}
