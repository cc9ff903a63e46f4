/**
 * Message mixes for `npm run bench:archive`: pre-encoded bus messages with their
 * subjects and row counts, so encoding is not timed.
 *
 * - realistic: 500 symbols, 1–5 ticks per tick message, book snapshots (20 levels a
 *   side), book deltas (2–9 levels) and trades (1–3 per message), in the proportions
 *   `MIX_SHARES`: messages per kind as counted on the default `npm start` feed (ticks
 *   47 %, deltas 42 %, snapshots 10 %, ~2.4 ticks, 40 levels and ~5.6 delta levels per
 *   message); trades are not in that feed yet (issue 15), so their 5 % is a guess.
 * - bulk: 20 symbols, 100 ticks per message (what a catching-up shard publishes).
 */
import { encode } from "../lib/contracts/codec.ts";
import { subjects } from "../lib/contracts/subjects.ts";
import { makeBook, makeDelta, makeTick, makeTrades, T0 } from "../actors/archiver/testing.ts";

export interface Mix {
  name: string;
  subjects: string[];
  bodies: Uint8Array[];
  rows: number;
  rowsByDataset: Record<string, number>;
  symbols: number;
}

/** Share of messages per kind in the realistic mix (sums to 1). */
export const MIX_SHARES = { ticks: 0.45, bookdelta: 0.4, book: 0.1, trades: 0.05 } as const;

export function realisticMix(targetRows: number, symbols = 500): Mix {
  const m: Mix = { name: "realistic", subjects: [], bodies: [], rows: 0, rowsByDataset: {}, symbols };
  const add = (ds: string, subject: string, body: object, rows: number) => {
    m.subjects.push(subject);
    m.bodies.push(encode(body));
    m.rows += rows;
    m.rowsByDataset[ds] = (m.rowsByDataset[ds] ?? 0) + rows;
  };
  const seq = new Map<string, number>();
  // Spread over an hour of exchange time, so every dataset has one hour partition per venue, mostly.
  for (let i = 0; m.rows < targetRows; i++) {
    const sym = `S${(i * 7919) % symbols}-USD`;
    const ts = T0 + (i % 3_000_000);
    const r = (i * 2654435761) % 1000 / 1000;
    if (r < MIX_SHARES.ticks) {
      const n = 1 + (i % 5);
      const v = seq.get(sym) ?? 0;
      seq.set(sym, v + n);
      add("ticks", subjects.tick("sim", sym), { v: 1, ticks: Array.from({ length: n }, (_, k) => makeTick(sym, v + k + 1, ts + k)) }, n);
    } else if (r < MIX_SHARES.ticks + MIX_SHARES.bookdelta) {
      const d = makeDelta(sym, ts, i);
      const n = 2 + (i % 8);
      d.bids = Array.from({ length: n >> 1 }, (_, k) => [99.5 - k / 2, (i + k) % 10] as [number, number]);
      d.asks = Array.from({ length: n - (n >> 1) }, (_, k) => [101.5 + k / 2, 1 + k] as [number, number]);
      add("bookdelta", subjects.bookDelta("binance", sym), d, d.bids.length + d.asks.length);
    } else if (r < MIX_SHARES.ticks + MIX_SHARES.bookdelta + MIX_SHARES.book) {
      add("book", subjects.book("binance", sym), makeBook(sym, ts, i, 20), 40);
    } else {
      const n = 1 + (i % 3);
      add("trades", subjects.trade("sim", sym), makeTrades(sym, ts, n, "sim", i * 3), n);
    }
  }
  return m;
}

export function bulkMix(targetRows: number, symbols = 20, perMessage = 100): Mix {
  const m: Mix = { name: "bulk", subjects: [], bodies: [], rows: 0, rowsByDataset: {}, symbols };
  const messages = Math.ceil(targetRows / perMessage);
  for (let i = 0; i < messages; i++) {
    const sym = `S${i % symbols}-USD`;
    const base = T0 + Math.floor((i / messages) * 3_000_000);
    const ticks = Array.from({ length: perMessage }, (_, k) => makeTick(sym, i * perMessage + k, base + k));
    m.subjects.push(subjects.tick("sim", sym));
    m.bodies.push(encode({ v: 1, ticks }));
    m.rows += perMessage;
  }
  m.rowsByDataset.ticks = m.rows;
  return m;
}
