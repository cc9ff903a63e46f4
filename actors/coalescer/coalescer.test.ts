import { describe, expect, it } from "vitest";
import type { Tick } from "../../lib/contracts/messages.ts";
import { encodeRoomUpdate } from "../../lib/contracts/rooms.ts";
import { TickerData } from "../../lib/contracts/protocol.ts";
import { Coalescer, partitionOf, symbolOfTickSubject } from "./coalescer.ts";
import { change24hPct, LatestTicks, tickerData } from "./ticker.ts";
import { TickerAllBuffer, tickerOfRoomMessage } from "./ticker-all.ts";

const tick = (symbol: string, price: number, exchTs: number, extra: Partial<Tick> = {}): Tick => ({
  venue: "coinbase",
  symbol,
  price,
  exchTs,
  recvTs: exchTs + 1,
  seq: exchTs,
  ...extra,
});

/** A coalescer owning every partition, all active. */
function owningAll(partitions = 4): Coalescer {
  const c = new Coalescer({ partitions });
  c.assign(Array.from({ length: partitions }, (_, i) => i));
  for (let i = 0; i < partitions; i++) c.activate(i);
  return c;
}

describe("tickerData()", () => {
  it("computes the 24 h change from open24h and keeps only the fields the tick has", () => {
    const d = tickerData(tick("BTC-USD", 105, 1000, { open24h: 100, bid: 104.5 }));
    expect(d).toEqual({ symbol: "BTC-USD", venue: "coinbase", price: 105, bid: 104.5, open24h: 100, change24hPct: 5, exchTs: 1000 });
    expect(TickerData.safeParse(d).success).toBe(true);
  });

  it("marks CoinGecko fallback ticks as degraded", () => {
    expect(tickerData(tick("BTC-USD", 1, 1, { venue: "coingecko" })).degraded).toBe(true);
    expect(tickerData(tick("BTC-USD", 1, 1)).degraded).toBeUndefined();
  });

  it("leaves the change out when open24h is missing or zero", () => {
    expect(change24hPct(10, undefined)).toBeUndefined();
    expect(change24hPct(10, 0)).toBeUndefined();
    expect(change24hPct(9, 10)).toBe(-10);
  });
});

describe("LatestTicks", () => {
  it("ignores an older or repeated tick of the same venue", () => {
    const l = new LatestTicks();
    expect(l.offer(tick("A-USD", 2, 200), 0)).toBe(true);
    expect(l.offer(tick("A-USD", 1, 100), 0)).toBe(false);
    expect(l.offer(tick("A-USD", 2, 200), 0)).toBe(false);
    expect(l.get("A-USD")?.tick.price).toBe(2);
  });

  it("lets another venue's tick replace the latest in arrival order", () => {
    const l = new LatestTicks();
    l.offer(tick("A-USD", 2, 200), 0);
    expect(l.offer(tick("A-USD", 3, 150, { venue: "binance" }), 0)).toBe(true);
    expect(l.get("A-USD")?.tick.venue).toBe("binance");
  });

  it("keeps a degraded tick out while the live venue ticked recently, and takes it once the venue is silent", () => {
    const l = new LatestTicks(15_000);
    l.offer(tick("A-USD", 2, 200), 1_000);
    expect(l.offer(tick("A-USD", 9, 300, { venue: "coingecko" }), 10_000)).toBe(false);
    expect(l.offer(tick("A-USD", 9, 300, { venue: "coingecko" }), 16_000)).toBe(true);
    expect(l.offer(tick("A-USD", 3, 400), 16_001)).toBe(true);
  });
});

describe("Coalescer", () => {
  it("publishes only the latest tick per changed symbol, once", () => {
    const c = owningAll();
    c.offer(tick("BTC-USD", 1, 1), 0);
    c.offer(tick("BTC-USD", 2, 2), 0);
    c.offer(tick("ETH-USD", 10, 1), 0);
    const out = c.take().sort((a, b) => a.symbol.localeCompare(b.symbol));
    expect(out.map((u) => [u.symbol, u.data.price])).toEqual([["BTC-USD", 2], ["ETH-USD", 10]]);
    expect(c.take()).toEqual([]);
    c.offer(tick("ETH-USD", 11, 2), 0);
    expect(c.take().map((u) => u.symbol)).toEqual(["ETH-USD"]);
  });

  it("ignores ticks of partitions it does not own", () => {
    const c = new Coalescer({ partitions: 8 });
    const p = partitionOf("BTC-USD", 8);
    c.assign([(p + 1) % 8]);
    expect(c.offer(tick("BTC-USD", 1, 1), 0)).toBe(false);
    expect(c.owns("BTC-USD")).toBe(false);
  });

  it("keeps ticks of a pending partition but publishes them only once it is active", () => {
    const c = new Coalescer({ partitions: 8 });
    const p = partitionOf("BTC-USD", 8);
    expect(c.assign([p])).toEqual({ added: [p], removed: [] });
    c.offer(tick("BTC-USD", 1, 1), 0);
    expect(c.take()).toEqual([]);
    c.activate(p);
    expect(c.take().map((u) => u.data.price)).toEqual([1]);
  });

  it("forgets the symbols of a partition it gives up", () => {
    const c = owningAll(8);
    c.offer(tick("BTC-USD", 1, 1), 0);
    const p = c.partition("BTC-USD");
    const { removed } = c.assign([...Array(8).keys()].filter((i) => i !== p));
    expect(removed).toEqual([p]);
    expect(c.take()).toEqual([]);
    expect(c.latest.get("BTC-USD")).toBeUndefined();
  });

  it("rejects a partition number out of range", () => {
    expect(() => new Coalescer({ partitions: 0 })).toThrow(RangeError);
    expect(() => new Coalescer({ partitions: 4 }).assign([4])).toThrow(RangeError);
  });

  it("spreads symbols over partitions deterministically", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const p = partitionOf(`S${i}-USD`, 16);
      expect(p).toBe(partitionOf(`S${i}-USD`, 16));
      seen.add(p);
    }
    expect(seen.size).toBe(16);
  });

  it("reads the symbol from a tick subject", () => {
    expect(symbolOfTickSubject("md.tick.coinbase.BTC-USD")).toBe("BTC-USD");
  });
});

describe("ticker.all", () => {
  it("extracts the ticker of a room.ticker.<SYMBOL> message and rejects others", () => {
    const d = tickerData(tick("BTC-USD", 5, 5));
    const enc = new TextEncoder();
    expect(tickerOfRoomMessage(enc.encode(encodeRoomUpdate("ticker.BTC-USD", 3, 9, d)))).toEqual(d);
    expect(tickerOfRoomMessage(enc.encode(encodeRoomUpdate("ticker.all", 3, 9, { tickers: [d] })))).toBeUndefined();
    expect(tickerOfRoomMessage(enc.encode("not json"))).toBeUndefined();
  });

  it("buffers the latest ticker per symbol, sorted, and restores only what was not replaced", () => {
    const b = new TickerAllBuffer();
    b.add(tickerData(tick("ETH-USD", 1, 1)));
    b.add(tickerData(tick("BTC-USD", 1, 1)));
    b.add(tickerData(tick("BTC-USD", 2, 2)));
    const taken = b.take();
    expect(taken.map((t) => [t.symbol, t.price])).toEqual([["BTC-USD", 2], ["ETH-USD", 1]]);
    b.add(tickerData(tick("ETH-USD", 3, 3)));
    b.restore(taken);
    expect(b.take().map((t) => [t.symbol, t.price])).toEqual([["BTC-USD", 2], ["ETH-USD", 3]]);
  });
});
