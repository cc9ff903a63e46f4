import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerFrame } from "../../../lib/contracts/protocol.ts";
import { FakeSocket } from "../../test/fake-socket.ts";
import { Backoff } from "./backoff.ts";
import { Connection, type ConnStatus } from "./connection.ts";

const HELLO = { type: "hello", server: "e1", limits: { maxFrameBytes: 1, maxRooms: 500, msgsPerSecond: 10, burst: 20, idleTimeoutSec: 60, replayWindowMs: 1 } };
const upd = (room: string, seq: number, data: unknown = {}) => ({ type: "update", room, seq, ts: 1, data });

function setup(opts: Partial<ConstructorParameters<typeof Connection>[0]> = {}) {
  const frames: ServerFrame[] = [];
  const statuses: ConnStatus[] = [];
  const conn = new Connection({
    url: "ws://test/ws",
    createSocket: (url) => new FakeSocket(url),
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    backoff: new Backoff({ random: () => 0 }),
    ...opts,
  });
  return { conn, frames, statuses };
}

describe("Connection", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  it("subscribes the wanted rooms once the socket opens, with since 0 for stream rooms", () => {
    const { conn } = setup();
    conn.subscribe(["ticker.all", "alerts"]);
    conn.start();
    const s = FakeSocket.last();
    expect(s.sent).toEqual([]);
    s.open();
    expect(s.ops("subscribe")).toEqual([{ op: "subscribe", rooms: ["ticker.all", "alerts"], since: { alerts: 0 } }]);
  });

  it("coalesces rapid subscription changes into one frame per flush interval", () => {
    const { conn } = setup();
    conn.start();
    const s = FakeSocket.last();
    s.open();
    conn.subscribe(["ticker.A-USD"]);
    conn.subscribe(["ticker.B-USD"]);
    conn.unsubscribe(["ticker.A-USD"]);
    vi.advanceTimersByTime(200);
    expect(s.sent).toEqual([{ op: "subscribe", rooms: ["ticker.B-USD"] }]);
  });

  it("spaces subscription flushes to respect the edge's message rate from hello", () => {
    const { conn } = setup();
    conn.start();
    const s = FakeSocket.last();
    s.open();
    s.receive({ ...HELLO, limits: { ...HELLO.limits, msgsPerSecond: 4 } });
    // 4 msgs/s and up to 2 frames per flush → one flush per 500 ms (the open flushed at 0).
    conn.subscribe(["ticker.A-USD"]);
    vi.advanceTimersByTime(499);
    expect(s.ops("subscribe")).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(s.ops("subscribe")).toHaveLength(1);
    conn.subscribe(["ticker.B-USD"]);
    vi.advanceTimersByTime(499);
    expect(s.ops("subscribe")).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(s.ops("subscribe")).toHaveLength(2);
  });

  it("leaves a room only when its last holder releases it", () => {
    const { conn } = setup();
    conn.start();
    const s = FakeSocket.last();
    s.open();
    conn.subscribe(["movers"]);
    conn.subscribe(["movers"]);
    vi.advanceTimersByTime(200);
    conn.unsubscribe(["movers"]);
    vi.advanceTimersByTime(200);
    expect(s.ops("unsubscribe")).toEqual([]);
    conn.unsubscribe(["movers"]);
    vi.advanceTimersByTime(200);
    expect(s.ops("unsubscribe")).toEqual([{ op: "unsubscribe", rooms: ["movers"] }]);
  });

  it("splits more than 100 rooms over several subscribe frames", () => {
    const { conn } = setup();
    conn.subscribe(Array.from({ length: 250 }, (_, i) => `ticker.S${i}-USD`));
    conn.start();
    FakeSocket.last().open();
    expect(FakeSocket.last().ops("subscribe").map((m) => (m.rooms as string[]).length)).toEqual([100, 100, 50]);
  });

  it("reconnects with exponential backoff and re-subscribes with since = last seen seq", () => {
    const { conn, statuses } = setup();
    conn.subscribe(["ticker.all", "alerts"]);
    conn.start();
    const first = FakeSocket.last();
    first.open();
    first.receive(HELLO);
    first.receive(upd("alerts", 41));
    first.receive(upd("alerts", 42));
    first.drop();
    expect(statuses.at(-1)).toBe("reconnecting");
    vi.advanceTimersByTime(999);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last().drop();
    vi.advanceTimersByTime(1999);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    const third = FakeSocket.last();
    third.open();
    expect(statuses.at(-1)).toBe("connected");
    expect(third.ops("subscribe")).toEqual([{ op: "subscribe", rooms: ["ticker.all", "alerts"], since: { alerts: 42 } }]);
    // A successful connection resets the backoff.
    third.drop();
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(4);
  });

  it("drops duplicate stream-room updates and asks for a replay on a gap", () => {
    const { conn, frames } = setup();
    conn.subscribe(["alerts"]);
    conn.start();
    const s = FakeSocket.last();
    s.open();
    s.receive(upd("alerts", 5));
    s.receive(upd("alerts", 5));
    s.receive(upd("alerts", 6));
    s.receive(upd("alerts", 9));
    s.receive(upd("alerts", 10));
    expect(frames.map((f) => (f as { seq: number }).seq)).toEqual([5, 6]);
    expect(s.ops("subscribe").at(-1)).toEqual({ op: "subscribe", rooms: ["alerts"], since: { alerts: 6 } });
    expect(s.ops("subscribe")).toHaveLength(2);
    s.receive(upd("alerts", 7));
    expect(frames).toHaveLength(3);
  });

  it("on resync forgets the room's seq and waits for the edge's snapshot instead of subscribing again", () => {
    const { conn, frames } = setup();
    conn.subscribe(["alerts"]);
    conn.start();
    const s = FakeSocket.last();
    s.open();
    s.receive(upd("alerts", 50));
    s.receive({ type: "resync", room: "alerts", reason: "gap" });
    s.receive({ type: "snapshot", room: "alerts", seq: 12, ts: 1, data: {} });
    s.receive(upd("alerts", 13));
    expect(s.ops("subscribe")).toHaveLength(1);
    expect(frames.map((f) => f.type)).toEqual(["update", "resync", "snapshot", "update"]);
  });

  it("pings every 30 s and drops a socket that does not answer within 10 s", () => {
    const { conn, statuses } = setup();
    conn.start();
    const s = FakeSocket.last();
    s.open();
    vi.advanceTimersByTime(30_000);
    expect(s.ops("ping")).toEqual([{ op: "ping", id: 1 }]);
    s.receive({ type: "pong", id: 1 });
    vi.advanceTimersByTime(30_000);
    expect(s.ops("ping")).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(s.closedWith).toBe(4000);
    expect(statuses.at(-1)).toBe("reconnecting");
  });

  it("reports offline after 5 minutes without a connection, and reconnectNow() tries at once", () => {
    const { conn, statuses } = setup();
    conn.start();
    FakeSocket.last().open();
    FakeSocket.last().drop();
    // Every attempt fails (the socket is closed before it opens).
    for (let t = 0; t < 300_000; t += 500) {
      vi.advanceTimersByTime(500);
      const last = FakeSocket.last();
      if (last.readyState === 0) last.drop();
    }
    expect(statuses.at(-1)).toBe("offline");
    const before = FakeSocket.all.length;
    conn.reconnectNow();
    expect(FakeSocket.all.length).toBe(before + 1);
    FakeSocket.last().open();
    expect(statuses.at(-1)).toBe("connected");
    expect(conn.disconnectedAt).toBeUndefined();
  });

  it("passes unparseable frames to onBadFrame and keeps going", () => {
    const bad: string[] = [];
    const { conn, frames } = setup({ onBadFrame: (e) => bad.push(e.message) });
    conn.subscribe(["movers"]);
    conn.start();
    const s = FakeSocket.last();
    s.open();
    s.receive("{oops");
    s.receive(upd("movers", 1, { gainers: [], losers: [] }));
    expect(bad).toEqual(["frame is not JSON"]);
    expect(frames).toHaveLength(1);
  });

  it("does not reconnect after stop()", () => {
    const { conn } = setup();
    conn.start();
    FakeSocket.last().open();
    conn.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});
