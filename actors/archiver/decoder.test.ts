import { describe, expect, it } from "vitest";
import { encode } from "../../lib/contracts/codec.ts";
import { CollectingSink } from "./collecting-sink.ts";
import { DATASET, type DecodeResult } from "../../lib/lake/datasets.ts";
import { InlineDecoder, WorkerDecoder } from "./decoder.ts";
import { HOUR, makeBook, makeDelta, makeGap, makeTick, makeTrades, T0 } from "./testing.ts";

/** Rows of every part, as [key, symbol, market, rows as arrays (numbers, then strings)]. */
function materialise(results: DecodeResult[], width: number, strings: number): unknown[] {
  return results.map((r) => {
    if (!r.ok) return r.error;
    return r.parts.map((p) => {
      const sink = new CollectingSink(width, strings);
      // CollectingSink takes rows one at a time; copy bulk parts through a tiny adapter.
      const rows: Array<Array<number | string>> = [];
      p.write({
        cols: sink.cols,
        strs: sink.strs,
        get n() {
          return sink.n;
        },
        endRow: () => sink.endRow(),
        appendColumns: (src, strs, offset, n) => {
          for (let i = 0; i < n; i++) rows.push([...src.slice(0, width - 3).map((c) => c[offset + i]!), ...strs.map((c) => c[offset + i]!)]);
        },
      });
      const cols = sink.take();
      for (let i = 0; i < sink.n; i++) rows.push([...cols.slice(0, width - 3).map((c) => c[i]!), ...sink.strs.map((c) => c[i]!)]);
      return [p.key, p.symbol, p.market, rows];
    });
  });
}

describe("decoders", () => {
  const messages = [
    encode({ v: 1, ticks: [makeTick("BTC-USD", 1, T0 - 1), makeTick("BTC-USD", 2, T0 + 1), makeTick("ETH-USD", 3, T0 + 2)] }),
    new TextEncoder().encode("{oops"),
    encode({ v: 1, ticks: [{ venue: "sim", symbol: "BTC-USD", price: Infinity, exchTs: 1, recvTs: 1, seq: 1 }] }),
    encode({ v: 1, ticks: [makeTick("SOL-USD", 9, T0 + HOUR)] }),
  ];

  it("a tick batch is split into one part per symbol and hour, and bad messages carry the schema's error", async () => {
    const [r] = await new InlineDecoder().decode(DATASET.ticks, messages.slice(0, 1));
    expect(r!.ok && r!.parts.map((p) => [p.key, p.symbol, p.rows])).toEqual([
      ["ticks/date=2025-11-22/hour=5/exchange=sim", "BTC-USD", 1],
      ["ticks/date=2025-11-22/hour=6/exchange=sim", "BTC-USD", 1],
      ["ticks/date=2025-11-22/hour=6/exchange=sim", "ETH-USD", 1],
    ]);
    const bad = await new InlineDecoder().decode(DATASET.ticks, messages.slice(1, 3));
    expect(bad.map((b) => !b.ok && b.error)).toEqual([expect.stringMatching(/^invalid JSON/), expect.stringMatching(/^ticks\.0\.price/)]);
  });

  it("the worker decoder returns the same parts and rows as decoding on the event loop", async () => {
    const w = new WorkerDecoder(1);
    try {
      for (const [ds, msgs] of [
        [DATASET.ticks, messages],
        [DATASET.book, [encode(makeBook("BTC-USDT", T0, 5)), encode({ v: 1 })]],
        [DATASET.bookdelta, [encode(makeDelta("BTC-USDT", T0, 5)), encode(makeDelta("ETH-USDT", T0 + 5, 9))]],
        [DATASET.trades, [encode(makeTrades("BTC-USD", T0, 3)), encode({ v: 1, trades: [] })]],
        [DATASET.gaps, [encode(makeGap("BTC-USD", T0, 10, 14)), encode({ v: 1, venue: "sim" })]],
      ] as const) {
        const inline = await new InlineDecoder().decode(ds, [...msgs]);
        const worker = await w.decode(ds, [...msgs]);
        expect(materialise(worker, ds.columns.length, ds.strings.length)).toEqual(materialise(inline, ds.columns.length, ds.strings.length));
        if (ds === DATASET.trades || ds === DATASET.gaps) expect(inline.map((r) => r.ok)).toEqual([true, false]);
      }
    } finally {
      await w.close();
    }
  });
});
