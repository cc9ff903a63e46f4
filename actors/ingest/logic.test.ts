import { describe, expect, it } from "vitest";
import { FakeClock } from "../runtime/mod.ts";
import { OrderBook } from "./binance/book.ts";
import { matchSockets, placeProducts } from "./placement.ts";
import { SeqTracker } from "./sequence.ts";
import { Slot, SubscriptionFlusher } from "./subscriptions.ts";
import { TokenBucket } from "../../lib/platform/token-bucket.ts";

const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `P${i + from}-USD`);

describe("placement", () => {
  it("placeProducts() puts at most cap products on a connection and every product exactly once", () => {
    const ps = names(237);
    const plan = placeProducts(ps, 10);
    const all = [...plan.values()].flat();
    expect(all.sort()).toEqual([...ps].sort());
    for (const g of plan.values()) expect(g.length).toBeLessThanOrEqual(10);
    expect(plan.size).toBeGreaterThanOrEqual(24);
  });

  it("placeProducts() is a function of the set, not of its order", () => {
    const ps = names(80);
    expect([...placeProducts(ps, 10)].sort()).toEqual([...placeProducts([...ps].reverse(), 10)].sort());
  });

  it("adding one product moves at most the products of one connection", () => {
    const ps = names(200);
    const before = placeProducts(ps, 10);
    const after = placeProducts([...ps, "NEW-USD"], 10);
    const where = (plan: Map<string, string[]>) => new Map([...plan].flatMap(([k, g]) => g.map((p) => [p, k] as const)));
    const a = where(before);
    const b = where(after);
    const moved = ps.filter((p) => a.get(p) !== b.get(p));
    expect(moved.length).toBeLessThanOrEqual(10);
  });

  it("matchSockets() keeps the socket that carries most of a connection's products", () => {
    const plan = new Map([["c0", ["A", "B", "C"]], ["c1", ["D", "E"]]]);
    const sockets = new Map([["s1", new Set(["D", "E", "F"])], ["s2", new Set(["A", "B"])], ["s3", new Set(["C"])]]);
    const m = matchSockets(plan, sockets);
    expect(m.get("c0")).toBe("s2");
    expect(m.get("c1")).toBe("s1");
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then refills at the rate", () => {
    const clock = new FakeClock(1000);
    const b = new TokenBucket(8, 8, clock);
    let n = 0;
    while (b.tryTake()) n++;
    expect(n).toBe(8);
    expect(b.msUntil()).toBe(125);
    clock.advance(125);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    clock.advance(10_000);
    expect(b.available()).toBe(8);
  });

  it("rejects a non-positive rate", () => {
    expect(() => new TokenBucket(0, 1, new FakeClock())).toThrow(RangeError);
  });
});

describe("SeqTracker", () => {
  it("drops replays, reports a jump as a gap, and starts afresh after a resubscribe", () => {
    const t = new SeqTracker();
    expect(t.check("k", 10, true).type).toBe("ok");
    expect(t.check("k", 11, true).type).toBe("ok");
    expect(t.check("k", 11, true).type).toBe("dup");
    expect(t.check("k", 5, true).type).toBe("dup");
    expect(t.check("k", 14, true)).toEqual({ type: "gap", expected: 12, got: 14 });
    expect(t.check("k", 15, true).type).toBe("ok");
    t.resetBaseline("k");
    expect(t.check("k", 40, true).type).toBe("ok");
    expect(t.check("k", 42, false).type).toBe("ok");
  });

  it("a new upstream session (lower sequences, newer exchange time) flows; a replay of the old session does not", () => {
    const t = new SeqTracker();
    expect(t.check("k", 500, true, 5_000).type).toBe("ok");
    expect(t.check("k", 501, true, 5_001).type).toBe("ok");
    expect(t.check("k", 499, true, 4_999).type).toBe("dup");
    expect(t.check("k", 501, true, 9_000).type).toBe("dup");
    expect(t.check("k", 3, true, 9_000)).toEqual({ type: "session", previous: 501, got: 3 });
    expect(t.check("k", 4, true, 9_001).type).toBe("ok");
    expect(t.check("k", 4, true, 9_001).type).toBe("dup");
    expect(t.check("k", 500, true, 5_000)).toEqual({ type: "gap", expected: 5, got: 500 });
  });

  it("raiseFloor() with the stored tick's exchange time lets a restarted venue through but not a replay", () => {
    const t = new SeqTracker();
    t.raiseFloor("k", 100, 1_000);
    expect(t.check("k", 90, true, 990).type).toBe("dup");
    expect(t.check("k", 1, true, 2_000).type).toBe("session");
  });

  it("raiseFloor() makes already stored sequences replays", () => {
    const t = new SeqTracker();
    t.raiseFloor("k", 100);
    expect(t.check("k", 100, true).type).toBe("dup");
    expect(t.check("k", 101, true).type).toBe("ok");
  });
});

describe("subscriptions", () => {
  const setup = (rate = 8, burst = 8) => {
    const clock = new FakeClock(0);
    const sent: string[] = [];
    const bucket = new TokenBucket(rate, burst, clock);
    const flusher = new SubscriptionFlusher(bucket, 100, clock);
    const subscribed: string[][] = [];
    const mk = (id: string) =>
      new Slot(id, { isOpen: () => true, send: (t) => (sent.push(`${id} ${t}`), true) }, {
        subscribe: (ps) => `sub ${ps.join(",")}`,
        unsubscribe: (ps) => `unsub ${ps.join(",")}`,
      }, (ps) => subscribed.push([...ps]));
    return { clock, sent, flusher, mk, subscribed };
  };

  it("changes within the batch window leave as one message per connection and direction", () => {
    const { clock, sent, flusher, mk } = setup();
    const s = mk("a");
    s.add("X");
    flusher.mark(s);
    clock.advance(50);
    s.add("Y");
    s.add("Z");
    flusher.mark(s);
    clock.advance(60);
    expect(sent).toEqual(["a sub X,Y,Z"]);
    s.remove("Y");
    s.resubscribe("X");
    flusher.mark(s);
    clock.advance(100);
    expect(sent.slice(1)).toEqual(["a unsub X,Y", "a sub X"]);
  });

  it("never sends more messages than the token bucket allows", () => {
    const { clock, sent, flusher, mk } = setup(8, 8);
    const slots = Array.from({ length: 40 }, (_, i) => mk(`s${i}`));
    for (const s of slots) {
      s.add(`P${s.id}`);
      flusher.mark(s);
    }
    clock.advance(100);
    expect(sent.length).toBe(8);
    clock.advance(1000);
    expect(sent.length).toBe(16);
    clock.advance(3000);
    expect(sent.length).toBe(40);
  });

  it("a per-connection limit holds back one connection without blocking the others", () => {
    const clock = new FakeClock(0);
    const sent: string[] = [];
    const flusher = new SubscriptionFlusher(new TokenBucket(100, 100, clock), 10, clock);
    const enc = { subscribe: (ps: readonly string[]) => `sub ${ps.join(",")}`, unsubscribe: (ps: readonly string[]) => `unsub ${ps.join(",")}` };
    const limited = new Slot("a", { isOpen: () => true, send: (t) => (sent.push(`a ${t}`), true) }, enc, () => {}, new TokenBucket(1, 1, clock));
    const free = new Slot("b", { isOpen: () => true, send: (t) => (sent.push(`b ${t}`), true) }, enc, () => {});
    limited.add("X");
    flusher.mark(limited);
    clock.advance(20);
    limited.resubscribe("X");
    free.add("Y");
    flusher.mark(limited);
    flusher.mark(free);
    clock.advance(20);
    expect(sent).toEqual(["a sub X", "b sub Y"]);
    clock.advance(1000);
    expect(sent).toEqual(["a sub X", "b sub Y", "a unsub X"]);
    clock.advance(1000);
    expect(sent).toEqual(["a sub X", "b sub Y", "a unsub X", "a sub X"]);
  });

  it("a product removed before its subscribe went out is never sent", () => {
    const { clock, sent, flusher, mk } = setup();
    const s = mk("a");
    s.add("X");
    s.add("Y");
    s.remove("X");
    flusher.mark(s);
    clock.advance(200);
    expect(sent).toEqual(["a sub Y"]);
  });
});

describe("OrderBook sync", () => {
  const ev = (U: number, u: number, b: Array<[number, number]> = [], a: Array<[number, number]> = []) => ({ U, u, b, a });

  it("applies buffered events after the snapshot, dropping the old ones", () => {
    const book = new OrderBook();
    expect(book.onDiff(ev(95, 99, [[10, 1]])).type).toBe("buffered");
    expect(book.onDiff(ev(100, 103, [[10, 2]])).type).toBe("buffered");
    expect(book.onDiff(ev(104, 105, [[9, 3]], [[11, 4]])).type).toBe("buffered");
    const r = book.onSnapshot({ lastUpdateId: 101, bids: [[10, 5], [8, 1]], asks: [[12, 1]] });
    expect(r.type).toBe("synced");
    expect(book.lastUpdateId).toBe(105);
    expect(book.top(5)).toEqual({ bids: [[10, 2], [9, 3], [8, 1]], asks: [[11, 4], [12, 1]] });
    expect(book.onDiff(ev(106, 106, [[8, 0]])).type).toBe("applied");
    expect(book.top(5).bids).toEqual([[10, 2], [9, 3]]);
    expect(book.onDiff(ev(100, 104)).type).toBe("stale");
  });

  it("a hole in the update ids is a gap that resets the book", () => {
    const book = new OrderBook();
    book.onSnapshot({ lastUpdateId: 10, bids: [[1, 1]], asks: [] });
    expect(book.onDiff(ev(11, 12)).type).toBe("applied");
    expect(book.onDiff(ev(14, 15))).toEqual({ type: "gap", expected: 13, got: 14 });
    expect(book.state).toBe("buffering");
    expect(book.onSnapshot({ lastUpdateId: 14, bids: [[2, 2]], asks: [] }).type).toBe("synced");
    expect(book.lastUpdateId).toBe(15);
  });

  it("a snapshot older than the buffered events is refused", () => {
    const book = new OrderBook();
    book.onDiff(ev(50, 55));
    expect(book.onSnapshot({ lastUpdateId: 40, bids: [], asks: [] })).toEqual({ type: "too-old", expected: 41, got: 50 });
    expect(book.state).toBe("buffering");
    expect(book.onSnapshot({ lastUpdateId: 52, bids: [], asks: [] }).type).toBe("synced");
    expect(book.lastUpdateId).toBe(55);
  });

  it("the first event after a snapshot must straddle lastUpdateId+1", () => {
    const book = new OrderBook();
    book.onSnapshot({ lastUpdateId: 20, bids: [], asks: [] });
    expect(book.onDiff(ev(23, 25)).type).toBe("gap");
    const b2 = new OrderBook();
    b2.onSnapshot({ lastUpdateId: 20, bids: [], asks: [] });
    expect(b2.onDiff(ev(19, 22)).type).toBe("applied");
    expect(b2.onDiff(ev(23, 23)).type).toBe("applied");
  });

  it("levels() flattens the best levels of each side", () => {
    const book = new OrderBook();
    book.onSnapshot({ lastUpdateId: 1, bids: [[9, 1], [8, 2], [7, 3]], asks: [[10, 4], [11, 5]] });
    expect(book.levels(2)).toEqual([
      { side: "bid", price: 9, qty: 1, level: 0 },
      { side: "bid", price: 8, qty: 2, level: 1 },
      { side: "ask", price: 10, qty: 4, level: 0 },
      { side: "ask", price: 11, qty: 5, level: 1 },
    ]);
  });
});
