import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client, fixture, getJson, isDecimal, postJson, sleep } from "./testkit.ts";

let sim: SimulatorHandle;
const clients: Client[] = [];
const open = async (url: string) => {
  const c = await Client.open(url);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 2, symbols: 60, tickRate: 1000 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await sim.close();
});

interface DepthEvent {
  e: string;
  U: number;
  u: number;
  b: [string, string][];
  a: [string, string][];
}
type Book = { bids: Map<string, string>; asks: Map<string, string> };

/** Binance's documented local order book procedure, applied to frames a client received. */
function syncBook(events: DepthEvent[], snap: { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] }): Book {
  const book: Book = { bids: new Map(snap.bids), asks: new Map(snap.asks) };
  let prev = -1;
  for (const ev of events) {
    if (ev.u <= snap.lastUpdateId) continue;
    if (prev === -1) {
      expect(ev.U <= snap.lastUpdateId + 1 && snap.lastUpdateId + 1 <= ev.u).toBe(true);
    } else {
      expect(ev.U).toBe(prev + 1);
    }
    prev = ev.u;
    for (const [side, levels] of [["bids", ev.b], ["asks", ev.a]] as const) {
      for (const [price, qty] of levels) {
        if (Number(qty) === 0) book[side].delete(price);
        else book[side].set(price, qty);
      }
    }
  }
  expect(prev).toBeGreaterThan(-1);
  return book;
}
/**
 * Stall `symbol` (so its book stops changing), wait until client `c` has the diff that
 * ends at the frozen book's update id, and return that book. Un-stalls after the test.
 */
async function frozenBook(c: Client, symbol: string, stream?: string): Promise<{ lastUpdateId: number; bids: [string, string][]; asks: [string, string][] }> {
  await postJson(`${sim.urls.control}/faults`, { stall: { product: symbol, ms: 30_000 } });
  onTestFinished(() => postJson(`${sim.urls.control}/faults`, { stall: { product: symbol, ms: 0 } }).then(() => undefined));
  const truth = await getJson<{ lastUpdateId: number; bids: [string, string][]; asks: [string, string][] }>(`${sim.urls.control}/book?symbol=${symbol}`);
  const data = (m: Record<string, unknown>) => (stream ? (m.stream === stream ? (m.data as DepthEvent) : undefined) : m.e === "depthUpdate" ? (m as unknown as DepthEvent) : undefined);
  await c.waitFor((m) => (data(m)?.u ?? 0) >= truth.lastUpdateId, 1, 5000);
  return truth;
}

const sorted = (m: Map<string, string>, desc: boolean) =>
  [...m].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0])));

describe("Binance streams", () => {
  it("wraps combined streams as {stream, data} with the fixture's ticker keys", async () => {
    const c = await open(`${sim.urls.binanceWs}?streams=btcusdt@ticker/ethusdt@ticker`);
    const frames = await c.waitFor((m) => m.stream === "ethusdt@ticker", 2);
    const f = frames[0]!;
    expect(Object.keys(f)).toEqual(["stream", "data"]);
    const data = f.data as Record<string, unknown>;
    const want = fixture("binance_ticker_24hr.json");
    expect(Object.keys(data)).toEqual(Object.keys(want));
    for (const [k, v] of Object.entries(want)) {
      if (typeof v === "string") expect(isDecimal(data[k]) || k === "e" || k === "s", `${k}=${String(data[k])}`).toBe(true);
      else expect(typeof data[k]).toBe("number");
    }
    expect(data.e).toBe("24hrTicker");
    expect(data.s).toBe("ETHUSDT");
    c.close();
  });

  it("sends raw payloads on /ws/<stream>", async () => {
    const c = await open(`${sim.urls.binanceWsRaw}/solusdt@ticker`);
    const [t] = await c.waitFor((m) => m.e === "24hrTicker");
    expect(t!.s).toBe("SOLUSDT");
    expect(t!.stream).toBeUndefined();
    c.close();
  });

  it("answers SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS with the documented replies", async () => {
    const c = await open(sim.urls.binanceWs);
    c.send(fixture("binance_subscribe_request.json"));
    const [sub] = await c.waitFor((m) => m.id === 1);
    expect(sub).toEqual(fixture("binance_subscribe_response.json"));
    c.send({ method: "LIST_SUBSCRIPTIONS", id: 3 });
    expect((await c.waitFor((m) => m.id === 3))[0]).toEqual({ result: ["btcusdt@aggTrade", "btcusdt@depth"], id: 3 });
    c.send(fixture("binance_unsubscribe_request.json"));
    expect((await c.waitFor((m) => m.id === 312))[0]).toEqual({ result: null, id: 312 });
    await sleep(250);
    c.send({ method: "SUBSCRIBE", params: ["xrpusdt@ticker"], id: 4 });
    await c.waitFor((m) => m.stream === "xrpusdt@ticker");
    c.send({ method: "LIST_SUBSCRIPTIONS", id: 5 });
    expect((await c.waitFor((m) => m.id === 5))[0]).toEqual({ result: ["btcusdt@aggTrade", "xrpusdt@ticker"], id: 5 });
    c.close();
  });

  it("answers malformed requests with Binance error objects", async () => {
    const c = await open(sim.urls.binanceWs);
    c.send({ method: "FLY", id: 9 });
    c.send({ method: "SUBSCRIBE", params: ["BTCUSDT@ticker"], id: 10 });
    await sleep(1100); // stay under 5 messages per second
    c.send("{oops");
    c.send({ method: "SUBSCRIBE", params: ["btcusdt@ticker"], id: -1 });
    const errs = await c.waitFor((m) => m.error !== undefined, 4);
    expect(errs[0]).toMatchObject({ error: { code: 2 }, id: 9 });
    expect(errs[1]).toMatchObject({ error: { code: 2 }, id: 10 });
    expect(errs[2]).toMatchObject({ error: { code: 3 }, id: null });
    expect(errs[3]).toMatchObject({ error: { code: 2 }, id: null });
    expect(c.closeCode).toBeUndefined();
    c.close();
  });

  it("disconnects a connection that sends more than 5 messages in a second", async () => {
    const c = await open(sim.urls.binanceWs);
    for (let i = 0; i < 6; i++) c.send({ method: "LIST_SUBSCRIPTIONS", id: i });
    expect(await c.closed).toBe(1008);
    expect(c.all((m) => "result" in m).length).toBe(5);
  });

  it("sends depth diffs with the fixture's keys that, with the REST snapshot, rebuild the simulator's book exactly", async () => {
    const c = await open(`${sim.urls.binanceWs}?streams=btcusdt@depth@100ms/dogeusdt@depth@100ms`);
    await c.waitFor((m) => m.stream === "btcusdt@depth@100ms", 2);
    const snap = await getJson<{ lastUpdateId: number; bids: [string, string][]; asks: [string, string][] }>(
      `${sim.urls.binanceRest}/api/v3/depth?symbol=BTCUSDT&limit=1000`,
    );
    expect(Object.keys(snap)).toEqual(Object.keys(fixture("binance_rest_depth_snapshot.json")));
    await sleep(800);
    // Freeze BTC, wait for the diff that reaches the frozen book's id, then compare.
    const truth = await frozenBook(c, "BTCUSDT", "btcusdt@depth@100ms");
    const events = c.all<{ stream: string; data: DepthEvent }>((m) => m.stream === "btcusdt@depth@100ms").map((f) => f.data);
    expect(Object.keys(events[0]!)).toEqual(Object.keys(fixture("binance_diff_depth_spot.json")));
    const local = syncBook(events, snap);
    expect(sorted(local.bids, true)).toEqual(truth.bids);
    expect(sorted(local.asks, false)).toEqual(truth.asks);
    expect(truth.bids.length).toBeGreaterThan(10);
    expect(Number(truth.bids[0]![0])).toBeLessThan(Number(truth.asks[0]![0]));
    c.close();
  });

  it("keeps the 1000 ms depth stream consistent with the snapshot too", async () => {
    const c = await open(`${sim.urls.binanceWsRaw}/ethusdt@depth`);
    await c.waitFor((m) => m.e === "depthUpdate");
    const snap = await getJson<{ lastUpdateId: number; bids: [string, string][]; asks: [string, string][] }>(
      `${sim.urls.binanceRest}/api/v3/depth?symbol=ETHUSDT&limit=1000`,
    );
    await c.waitFor((m) => m.e === "depthUpdate", 2);
    const truth = await frozenBook(c, "ETHUSDT");
    const local = syncBook(c.all<DepthEvent>((m) => m.e === "depthUpdate"), snap);
    expect(sorted(local.bids, true)).toEqual(truth.bids);
    expect(sorted(local.asks, false)).toEqual(truth.asks);
    c.close();
  });

  it("answers REST depth errors with Binance's codes", async () => {
    const missing = await fetch(`${sim.urls.binanceRest}/api/v3/depth`);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { code: number }).code).toBe(-1102);
    const unknown = await fetch(`${sim.urls.binanceRest}/api/v3/depth?symbol=FOOBARUSDT`);
    expect(((await unknown.json()) as { code: number }).code).toBe(-1121);
    const limited = await getJson<{ bids: unknown[] }>(`${sim.urls.binanceRest}/api/v3/depth?symbol=ETHUSDT&limit=5`);
    expect(limited.bids.length).toBe(5);
  });

  it("rejects a WebSocket upgrade with a malformed stream name", async () => {
    const c = new Client(`${sim.urls.binanceWs}?streams=not-a-stream`);
    await expect(c.opened).rejects.toThrow(/400/);
  });
});

describe("Binance keep-alive", () => {
  it("pings every connection and cuts one that never answers with a pong", async () => {
    const s = await startSimulator({ port: 0, seed: 2, symbols: 10, tickRate: 10, binancePingMs: 200, binancePongTimeoutMs: 1000 });
    try {
      const mute = new WebSocket(`${s.urls.binanceWsRaw}/btcusdt@ticker`, { autoPong: false });
      const polite = await Client.open(`${s.urls.binanceWsRaw}/btcusdt@ticker`);
      let pings = 0;
      mute.on("ping", () => pings++);
      const code = await new Promise<number>((r) => mute.once("close", (c) => r(c)));
      expect(code).toBe(1006);
      expect(pings).toBeGreaterThan(1);
      expect(polite.closeCode).toBeUndefined();
      const stats = s.stats() as { venues: { binance: { disconnects: { pongTimeout: number } } } };
      expect(stats.venues.binance.disconnects.pongTimeout).toBe(1);
      polite.close();
    } finally {
      await s.close();
    }
  });
});
