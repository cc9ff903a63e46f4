import { describe, expect, it } from "vitest";
import { encodeRoomUpdate } from "../../lib/contracts/rooms.ts";
import { originAllowed, Strikes, TokenBucket } from "./limits.ts";
import { SharedLogReader } from "./replay.ts";
import { readSeq, readTs, roomKind, RoomStore } from "./rooms.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("room message bytes", () => {
  it("readSeq and readTs read the fields a producer wrote, without parsing", () => {
    const room = "candles.BTC-USD.1m";
    const b = enc.encode(encodeRoomUpdate(room, 9_876_543_210, 1_763_772_000_123, { x: "\"seq\":1" }));
    expect(readSeq(b, room.length)).toBe(9_876_543_210);
    expect(readTs(b, room.length)).toBe(1_763_772_000_123);
  });

  it("readSeq returns -1 for bytes that are not a room update", () => {
    expect(readSeq(enc.encode('{"type":"snapshot","room":"movers","seq":1}'), 6)).toBe(-1);
    expect(readSeq(enc.encode("garbage"), 6)).toBe(-1);
    expect(readSeq(enc.encode('{"type":"update","room":"movers","seq":x}'), 6)).toBe(-1);
    expect(readSeq(enc.encode(encodeRoomUpdate("movers", 3, 1, {})), 5)).toBe(-1);
  });

  it("a room builds its snapshot frame once per update", () => {
    const store = new RoomStore();
    const r = store.open("movers")!;
    r.set(enc.encode(encodeRoomUpdate("movers", 1, 5, { a: 1 })), 1);
    const s1 = r.snapshot()!;
    expect(JSON.parse(dec.decode(s1))).toEqual({ type: "snapshot", room: "movers", seq: 1, ts: 5, data: { a: 1 } });
    expect(r.snapshot()).toBe(s1);
    r.set(enc.encode(encodeRoomUpdate("movers", 2, 6, { a: 2 })), 2);
    expect(r.snapshot()).not.toBe(s1);
  });

  it("roomKind accepts the rooms producers publish and nothing else", () => {
    expect(["ticker.BTC-USD", "ticker.all", "movers", "topcoins", "pulse", "alerts", "candles.ETH-USD.1m"].map(roomKind))
      .toEqual(["ticker", "ticker_all", "movers", "topcoins", "pulse", "alerts", "candles"]);
    for (const bad of ["", "ticker", "ticker.a.b", "candles.X", "room.>", "foo", "ticker.*", "a..b"]) expect(roomKind(bad)).toBeUndefined();
    // `tickflow replay` rooms: only the ticker rooms of a valid replay id.
    expect(["replay.r1.ticker.all", "replay.r1.ticker.BTC-USD"].map(roomKind)).toEqual(["replay", "replay"]);
    for (const bad of ["replay.r1.movers", "replay.R1.ticker.all", "replay.r1.ticker", "replay.r1.ticker.a.b"]) expect(roomKind(bad)).toBeUndefined();
  });

  it("an empty room nobody listens to is released", () => {
    const store = new RoomStore();
    const r = store.open("ticker.ZZZ-USD")!;
    store.release(r);
    expect(store.size).toBe(0);
  });
});

describe("limits", () => {
  it("TokenBucket allows a burst, then the refill rate", () => {
    const b = new TokenBucket(2, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(500)).toBe(true);
    expect(b.take(500)).toBe(false);
  });

  it("Strikes leak one per second so only persistent offenders pass the limit", () => {
    const s = new Strikes(2);
    expect([s.add(0), s.add(0)]).toEqual([false, false]);
    expect(s.add(5000)).toBe(false);
    expect([s.add(5000), s.add(5000)]).toEqual([false, true]);
  });

  it("originAllowed: no Origin, same host, listed origins or *", () => {
    expect(originAllowed("", "a.example", [])).toBe(true);
    expect(originAllowed("https://a.example", "a.example", [])).toBe(true);
    expect(originAllowed("https://b.example", "a.example", [])).toBe(false);
    expect(originAllowed("https://b.example", "a.example", ["https://b.example"])).toBe(true);
    expect(originAllowed("not a url", "a.example", [])).toBe(false);
    expect(originAllowed("https://x", "a", ["*"])).toBe(true);
  });
});

describe("SharedLogReader", () => {
  it("shares one in-flight read per room among clients replaying it", async () => {
    let reads = 0;
    const r = new SharedLogReader({ read: async () => (reads++, [{ seq: 5, bytes: new Uint8Array() }]) });
    await Promise.all([r.read("room.alerts"), r.read("room.alerts"), r.read("room.candles.X-USD.1m")]);
    expect(reads).toBe(2);
    await r.read("room.alerts");
    expect(reads).toBe(3);
  });

  it("runs at most maxConcurrent reads at once and fails reads beyond the queue", async () => {
    let running = 0;
    let peak = 0;
    const r = new SharedLogReader({
      read: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((res) => setTimeout(res, 5));
        running--;
        return [];
      },
    }, 2, 3);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => r.read(`room.t${i}`)));
    expect(peak).toBe(2);
    expect(results.filter((x) => x.status === "rejected").length).toBe(1);
  });
});
