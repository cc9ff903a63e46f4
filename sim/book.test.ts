import { describe, expect, it } from "vitest";
import { Book, WINDOW } from "./book.ts";
import { fixed, fixed8 } from "./fmt.ts";
import { Prng } from "./prng.ts";

const spec = { step: 10, typQty: 5000, dec: 2, qtyDec: 4 };

/** Apply a diff's level arrays to a map copy of one side. */
function apply(side: Map<string, string>, levels: string) {
  for (const [p, q] of JSON.parse(levels) as [string, string][]) {
    if (Number(q) === 0) side.delete(p);
    else side.set(p, q);
  }
}

describe("Book", () => {
  it("replays into the same book from any snapshot plus the diffs after it", () => {
    const r = new Prng(3);
    const book = new Book(new Prng(1), spec, 100_000);
    book.tracking = true;
    let px = 100_000;
    const snap = book.snapshot(1000);
    const bids = new Map(snap.bids);
    const asks = new Map(snap.asks);
    let last = snap.lastUpdateId;
    for (let flush = 0; flush < 200; flush++) {
      const moves = r.int(5);
      for (let i = 0; i < moves; i++) {
        px = Math.max(1000, px + Math.round(r.gauss() * (r.next() < 0.02 ? 2000 : 40)));
        book.move(px);
      }
      const d = book.take100(false);
      if (!d) continue;
      expect(d.U).toBe(last + 1);
      last = d.u;
      apply(bids, d.b);
      apply(asks, d.a);
    }
    const now = book.snapshot(1000);
    expect([...bids].sort((a, b) => Number(b[0]) - Number(a[0]))).toEqual(now.bids);
    expect([...asks].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(now.asks);
    expect(now.bids.length).toBeLessThanOrEqual(WINDOW);
    expect(Number(now.bids[0]![0])).toBeLessThan(Number(now.asks[0]![0]));
  });

  it("loses one update id on skipId so the next diff shows a gap", () => {
    const book = new Book(new Prng(1), spec, 100_000);
    book.tracking = true;
    book.move(100_050);
    const a = book.take100(false)!;
    book.skipId();
    book.move(100_090);
    expect(book.take100(false)!.U).toBe(a.u + 2);
  });
});

describe("fmt", () => {
  it("prints integers in units of 10^-dec as exact decimal strings", () => {
    expect(fixed(128522, 2)).toBe("1285.22");
    expect(fixed(5, 8)).toBe("0.00000005");
    expect(fixed(-1234, 3)).toBe("-1.234");
    expect(fixed(42, 0)).toBe("42");
    expect(fixed8(128522, 2)).toBe("1285.22000000");
    expect(fixed8(7, 0)).toBe("7.00000000");
  });
});
