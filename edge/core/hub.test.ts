import { describe, expect, it } from "vitest";
import { encodeRoomUpdate } from "../../lib/contracts/rooms.ts";
import { CloseCode } from "../../lib/contracts/protocol.ts";
import { type CoreConfig, EdgeHub } from "./hub.ts";
import type { LogEntry } from "./replay.ts";
import { parseRange } from "./addresses.ts";
import { type Conn, SendResult, type Transport, type UpgradeRequest } from "./transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const msg = (room: string, seq: number) => enc.encode(encodeRoomUpdate(room, seq, 1000 + seq, { v: seq }));

class FakeConn implements Conn {
  frames: Array<{ type: string; room?: string; seq?: number; code?: string; reason?: string }> = [];
  topics = new Set<string>();
  buffered = 0;
  ended: number | undefined;
  constructor(private readonly t: FakeTransport, private readonly onEnd: (c: FakeConn) => void) {}
  push(f: Uint8Array | string) {
    this.frames.push(JSON.parse(typeof f === "string" ? f : dec.decode(f)));
  }
  send(f: Uint8Array | string) {
    this.push(f);
    return SendResult.Ok;
  }
  cork(fn: () => void) {
    fn();
  }
  subscribe(topic: string) {
    this.topics.add(topic);
    this.t.subs.add(this);
  }
  unsubscribe(topic: string) {
    this.topics.delete(topic);
  }
  bufferedAmount() {
    return this.buffered;
  }
  end(code: number) {
    this.ended = code;
    this.onEnd(this);
  }
}

class FakeTransport implements Transport {
  build = "fake";
  port = 0;
  subs = new Set<FakeConn>();
  publish(topic: string, bytes: Uint8Array) {
    for (const c of this.subs) if (c.topics.has(topic)) c.push(bytes);
  }
  stopListening() {}
  async close() {}
}

const cfg: CoreConfig = {
  id: "edge-test",
  maxFrameBytes: 4096,
  maxRooms: 8,
  msgsPerSecond: 5,
  burst: 5,
  maxConnsPerIp: 2,
  idleTimeoutMs: 60_000,
  allowedOrigins: [],
  maxBackpressure: 1000,
  slowCloseMs: 1000,
  maxStrikes: 3,
  replayWindowMs: 120_000,
  refreshWindowMs: 5000,
  latencySample: 1,
};

function setup(more: Partial<CoreConfig> = {}, log: (topic: string, after: number) => Promise<LogEntry[]> = async () => []) {
  let now = 10_000;
  let deferred: (() => void) | undefined;
  const refreshes: string[] = [];
  const latencies: number[] = [];
  const hub = new EdgeHub({ ...cfg, ...more }, {
    log: { read: log },
    refresh: (r) => refreshes.push(r),
    now: () => now,
    defer: (fn) => (deferred = fn),
    observeLatency: (ms) => latencies.push(ms),
  });
  const t = new FakeTransport();
  hub.attach(t);
  hub.ready = true;
  const admit = (peer: string, origin = "", more: Partial<UpgradeRequest> = {}) => {
    const a = hub.handlers.admit({ peer, origin, host: "edge.example", xForwardedFor: "", forwarded: "", ...more });
    if (a instanceof Promise) throw new Error("the local address count answers synchronously");
    return a;
  };
  const connect = (ip = "10.0.0.1", origin = "") => {
    const a = admit(ip, origin);
    if (!a.ok) throw new Error(`refused: ${a.status} ${a.reason}`);
    let state: ReturnType<typeof hub.handlers.open> | undefined = undefined;
    const c = new FakeConn(t, () => state && hub.handlers.close(state, 1000));
    state = hub.handlers.open(c, { ip: a.ip, origin, host: "edge.example" });
    const send = (m: unknown) => hub.handlers.message(state!, enc.encode(typeof m === "string" ? m : JSON.stringify(m)), false);
    return { c, send, state };
  };
  const ingest = (room: string, ...seqs: number[]) => {
    for (const s of seqs) hub.ingest(`room.${room}`, msg(room, s));
    deferred?.();
    deferred = undefined;
  };
  return { hub, admit, connect, ingest, refreshes, latencies, tick: (ms: number) => (now += ms) };
}

const seqs = (c: FakeConn, room: string) => c.frames.filter((f) => f.room === room).map((f) => `${f.type[0]}${f.seq}`);

describe("EdgeHub", () => {
  it("greets with hello, sends the latest snapshot on subscribe, then updates in seq order", () => {
    const { connect, ingest, latencies } = setup();
    ingest("ticker.BTC-USD", 1, 2);
    const { c, send } = connect();
    expect(c.frames[0]).toMatchObject({ type: "hello", server: "edge-test" });
    send({ op: "subscribe", rooms: ["ticker.BTC-USD"] });
    ingest("ticker.BTC-USD", 3, 4);
    expect(seqs(c, "ticker.BTC-USD")).toEqual(["s2", "u3", "u4"]);
    send({ op: "unsubscribe", rooms: ["ticker.BTC-USD"] });
    ingest("ticker.BTC-USD", 5);
    expect(seqs(c, "ticker.BTC-USD")).toEqual(["s2", "u3", "u4"]);
    expect(latencies.length).toBeGreaterThan(0);
  });

  it("rejects unknown room names and more rooms than the limit without subscribing any", () => {
    const { connect } = setup();
    const { c, send } = connect();
    send({ op: "subscribe", rooms: ["movers", "nonsense"] });
    expect(c.frames.at(-1)).toMatchObject({ type: "error", code: "unknown_room" });
    expect(c.topics.size).toBe(0);
    send({ op: "subscribe", rooms: Array.from({ length: 9 }, (_, i) => `ticker.S${i}-USD`) });
    expect(c.frames.at(-1)).toMatchObject({ type: "error", code: "too_many_rooms" });
    expect(c.topics.size).toBe(0);
  });

  it("replays a stream room from the log, buffering live messages meanwhile, without duplicates", async () => {
    let resolve!: (e: LogEntry[]) => void;
    const { connect, ingest } = setup({}, () => new Promise((r) => (resolve = r)));
    const room = "candles.ETH-USD.1m";
    ingest(room, 1, 2, 3, 4, 5);
    const { c, send } = connect();
    send({ op: "subscribe", rooms: [room], since: { [room]: 2 } });
    ingest(room, 6, 7); // live while the log is read: buffered
    resolve([3, 4, 5, 6].map((seq) => ({ seq, bytes: msg(room, seq) })));
    await new Promise((r) => setTimeout(r, 0));
    ingest(room, 8);
    expect(seqs(c, room)).toEqual(["u3", "u4", "u5", "u6", "u7", "u8"]);
  });

  it("reads the log again when it lags behind the room, and resyncs when the gap is older than the window", async () => {
    const room = "alerts";
    let stored = [2]; // seq 1 aged out of the window; seq 3 not stored yet
    let reads = 0;
    const { connect, ingest } = setup({}, async () => {
      reads++;
      const out = stored.map((seq) => ({ seq, bytes: msg(room, seq) }));
      stored = [2, 3];
      return out;
    });
    ingest(room, 1, 2, 3);
    const a = connect();
    a.send({ op: "subscribe", rooms: [room], since: { [room]: 1 } });
    await new Promise((r) => setTimeout(r, 100));
    expect(seqs(a.c, room)).toEqual(["u2", "u3"]);
    expect(reads).toBe(2);

    stored = [3];
    const b = connect("10.0.0.2");
    b.send({ op: "subscribe", rooms: [room], since: { [room]: 1 } }); // seq 2 is gone too now
    await new Promise((r) => setTimeout(r, 10));
    expect(b.c.frames.filter((f) => f.room === room).map((f) => f.type + (f.reason ?? f.seq))).toEqual(["resynctoo_old", "snapshot3"]);
  });

  it("gives a client with since 0 what the window holds, or the snapshot, and never a resync", async () => {
    const room = "candles.SOL-USD.1m";
    let fail = false;
    const { connect, ingest } = setup({}, async () => {
      if (fail) throw new Error("NATS down");
      return [4, 5].map((seq) => ({ seq, bytes: msg(room, seq) }));
    });
    ingest(room, 1, 2, 3, 4, 5);
    const a = connect();
    a.send({ op: "subscribe", rooms: [room], since: { [room]: 0 } });
    await new Promise((r) => setTimeout(r, 10));
    expect(seqs(a.c, room)).toEqual(["u4", "u5"]);
    fail = true;
    const b = connect("10.0.0.2");
    b.send({ op: "subscribe", rooms: [room], since: { [room]: 0 } });
    await new Promise((r) => setTimeout(r, 10));
    expect(seqs(b.c, room)).toEqual(["s5"]);
    ingest(room, 6);
    expect(seqs(b.c, room)).toEqual(["s5", "u6"]);
  });

  it("answers a client ahead of the room (seq went back) with resync gap and the snapshot", () => {
    const { connect, ingest } = setup();
    ingest("alerts", 1, 2);
    const { c, send } = connect();
    send({ op: "subscribe", rooms: ["alerts"], since: { alerts: 9 } });
    expect(c.frames.slice(1).map((f) => f.type + (f.reason ?? f.seq))).toEqual(["resyncgap", "snapshot2"]);
  });

  it("closes a client that keeps sending garbage with 4002 after error frames", () => {
    const { connect } = setup();
    const { c, send } = connect();
    for (let i = 0; i < 100; i++) send("{nope");
    expect(c.frames.filter((f) => f.type === "error").length).toBe(cfg.maxStrikes + 1);
    expect(c.ended).toBe(CloseCode.TooManyErrors);
  });

  it("rate-limits frames beyond the token bucket with rate_limited errors", () => {
    const { connect, tick } = setup();
    const { c, send } = connect();
    for (let i = 0; i < 7; i++) send({ op: "ping", id: i });
    expect(c.frames.filter((f) => f.type === "pong").length).toBe(cfg.burst);
    expect(c.frames.filter((f) => f.code === "rate_limited").length).toBe(2);
    tick(1000);
    send({ op: "ping", id: 99 });
    expect(c.frames.at(-1)).toMatchObject({ type: "pong", id: 99 });
  });

  it("refuses an upgrade beyond the per-address cap with 429 before it opens, and frees the slot on close", () => {
    const { admit, connect, hub } = setup();
    connect("1.1.1.1");
    const b = connect("1.1.1.1");
    expect(admit("1.1.1.1")).toEqual({ ok: false, status: 429, reason: "too_many_connections" });
    expect(hub.sessions.size).toBe(2);
    b.c.end(1000);
    expect(connect("1.1.1.1").c.ended).toBeUndefined();
    expect(hub.sessions.size).toBe(2);
    expect(hub.stats.refusedUpgrades.get("too_many_connections")).toBe(1);
  });

  it("gives back the slot of an admitted upgrade that never opened", () => {
    const { admit, hub } = setup();
    expect(admit("1.1.1.1").ok).toBe(true);
    expect(admit("1.1.1.1").ok).toBe(true);
    hub.handlers.abandon("1.1.1.1");
    expect(admit("1.1.1.1").ok).toBe(true);
    expect(admit("1.1.1.1").ok).toBe(false);
  });

  it("refuses a foreign Origin with 403 before the upgrade", () => {
    const { admit } = setup();
    expect(admit("1.1.1.1", "https://evil.example")).toEqual({ ok: false, status: 403, reason: "origin_not_allowed" });
    expect(admit("1.1.1.2", "https://edge.example").ok).toBe(true);
  });

  it("refuses upgrades with 503 until ready and while shutting down", () => {
    const { admit, hub } = setup();
    hub.ready = false;
    expect(admit("1.1.1.1")).toMatchObject({ status: 503, reason: "not_ready" });
    hub.ready = true;
    hub.closing = true;
    expect(admit("1.1.1.1")).toMatchObject({ status: 503, reason: "shutting_down" });
  });

  it("counts a connection against its forwarded address only when the peer is a trusted proxy", () => {
    const { admit } = setup({ trustedProxies: [parseRange("10.9.0.0/16")!] });
    // Through the proxy: two clients behind it are counted apart (cap 2 each).
    for (let i = 0; i < 2; i++) expect(admit("10.9.0.1", "", { xForwardedFor: "203.0.113.7" })).toMatchObject({ ok: true, ip: "203.0.113.7" });
    expect(admit("10.9.0.1", "", { xForwardedFor: "203.0.113.7" })).toMatchObject({ status: 429 });
    expect(admit("10.9.0.2", "", { xForwardedFor: "203.0.113.8" })).toMatchObject({ ok: true, ip: "203.0.113.8" });
    // Straight from the internet: the header is the client's own claim and is ignored.
    expect(admit("198.51.100.1", "", { xForwardedFor: "203.0.113.9" })).toMatchObject({ ok: true, ip: "198.51.100.1" });
  });

  it("refuses a Host outside EDGE_ALLOWED_HOSTS with 403, even with an Origin that matches it", () => {
    const { admit } = setup({ allowedHosts: ["edge.example"] });
    expect(admit("1.1.1.1", "http://rebound.example", { host: "rebound.example" })).toEqual({
      ok: false,
      status: 403,
      reason: "host_not_allowed",
    });
    expect(admit("1.1.1.1", "https://edge.example:8443", { host: "edge.example:8443" }).ok).toBe(true);
  });

  it("closes a socket that stays over the backpressure threshold with 4001", () => {
    const { connect, hub, tick } = setup();
    const slow = connect("1.1.1.1");
    const fine = connect("1.1.1.2");
    slow.c.buffered = 900;
    hub.sweep();
    tick(500);
    hub.sweep();
    expect(slow.c.ended).toBeUndefined();
    tick(600);
    hub.sweep();
    expect(slow.c.ended).toBe(CloseCode.TooSlow);
    expect(fine.c.ended).toBeUndefined();
    expect(hub.stats.closes.get("too_slow")).toBe(1);
  });

  it("coalesces refresh commands to one per room per window", () => {
    const { connect, refreshes, tick } = setup();
    for (let i = 0; i < 5; i++) connect(`2.2.2.${i}`).send({ op: "refresh", room: "movers" });
    expect(refreshes).toEqual(["movers"]);
    tick(5000);
    connect("3.3.3.3").send({ op: "refresh", room: "movers" });
    expect(refreshes).toEqual(["movers", "movers"]);
  });

  it("sends a rated subscription (ticker.X@1s) its snapshot, then the latest message at most once per period", () => {
    const { connect, ingest, hub, tick } = setup();
    ingest("ticker.BTC-USD", 1);
    const { c, send } = connect();
    send({ op: "subscribe", rooms: ["ticker.BTC-USD@1s"] });
    const got = () => seqs(c, "ticker.BTC-USD");
    expect(got()).toEqual(["s1"]);
    for (let i = 2; i <= 6; i++) {
      tick(100);
      ingest("ticker.BTC-USD", i);
      hub.emitRated();
    }
    expect(got()).toEqual(["s1"]); // 500 ms: not due yet
    tick(500);
    hub.emitRated();
    expect(got()).toEqual(["s1", "u6"]); // the latest only; seq jumps over what was skipped
    tick(300);
    ingest("ticker.BTC-USD", 7);
    hub.emitRated();
    expect(got()).toEqual(["s1", "u6"]); // 300 ms after the last one
    tick(700);
    hub.emitRated();
    hub.emitRated();
    expect(got()).toEqual(["s1", "u6", "u7"]);
    tick(5000);
    hub.emitRated();
    expect(got()).toEqual(["s1", "u6", "u7"]); // nothing new: nothing sent
  });

  it("refuses a rate on a stream room and periods outside 250 ms – 60 s", () => {
    const { connect } = setup();
    const ok = connect("9.9.9.1");
    ok.send({ op: "subscribe", rooms: ["movers@5s", "ticker.ETH-USD@250ms"] });
    expect(ok.c.frames.filter((f) => f.type === "error")).toEqual([]);
    ["alerts@1s", "ticker.BTC-USD@10ms", "ticker.BTC-USD@2m", "ticker.BTC-USD@90s"].forEach((room, i) => {
      const { c, send } = connect(`9.9.8.${i}`);
      send({ op: "subscribe", rooms: [room] });
      expect(c.frames.at(-1), room).toMatchObject({ type: "error" });
    });
  });

  it("applies a stored (seed) message only when it is newer than the room's latest", () => {
    const { hub, ingest } = setup();
    ingest("movers", 5);
    hub.seed("room.movers", msg("movers", 4));
    hub.flush();
    expect(hub.rooms.byTopicName("room.movers")?.seq).toBe(5);
    hub.seed("room.movers", msg("movers", 6));
    hub.flush();
    expect(hub.rooms.byTopicName("room.movers")?.seq).toBe(6);
  });
});
