import { describe, expect, it } from "vitest";
import { encode } from "../bus/codec.ts";
import { CollectingSink } from "./collecting-sink.ts";
import { DATASET, type DecodeResult } from "./datasets.ts";
import { InlineDecoder, WorkerDecoder } from "./decoder.ts";
import { HOUR, makeBook, makeDelta, makeTick, T0 } from "./testing.ts";

/** Rows of every part, as [key, rows as arrays with _seq = 7]. */
function materialise(results: DecodeResult[], width: number): unknown[] {
  return results.map((r) => {
    if (!r.ok) return r.error;
    return r.parts.map((p) => {
      const sink = new CollectingSink(width);
      // CollectingSink takes rows one at a time; copy bulk parts through a tiny adapter.
      const rows: number[][] = [];
      p.write({
        cols: sink.cols,
        get n() {
          return sink.n;
        },
        endRow: () => sink.endRow(),
        appendColumns: (src, offset, n, seq) => {
          for (let i = 0; i < n; i++) rows.push(src.map((c, j) => (j === width - 2 ? seq : c[offset + i]!)));
        },
      }, 7);
      const cols = sink.take();
      for (let i = 0; i < sink.n; i++) rows.push(cols.map((c) => c[i]!));
      return [p.key, rows];
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
    expect(r!.ok && r!.parts.map((p) => [p.key, p.rows])).toEqual([
      ["ticks/exchange=sim/market=spot/symbol=BTC-USD/year=2025/month=11/day=22/hour=5", 1],
      ["ticks/exchange=sim/market=spot/symbol=BTC-USD/year=2025/month=11/day=22/hour=6", 1],
      ["ticks/exchange=sim/market=spot/symbol=ETH-USD/year=2025/month=11/day=22/hour=6", 1],
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
      ] as const) {
        const inline = await new InlineDecoder().decode(ds, [...msgs]);
        const worker = await w.decode(ds, [...msgs]);
        expect(materialise(worker, ds.columns.length)).toEqual(materialise(inline, ds.columns.length));
      }
    } finally {
      await w.close();
    }
  });
});
