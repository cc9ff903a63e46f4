/**
 * Candle history end to end: trades published on md.trade → the ranker's candle rooms
 * in ROOMLOG; the simulator's klines REST behind them; a browser-style client asking
 * the edge with the `history` op. Real nats-server, simulator, ranker and edge.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { BUCKET, ensureBuckets, ensureStreams } from "../../lib/platform/streams.ts";
import { encode } from "../../lib/contracts/codec.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { CandleData } from "../../lib/contracts/protocol.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { TestClient } from "../../edge/testing.ts";
import { publishTicks, recordRooms, waitFor } from "../coalescer/testing.ts";
import { rankerSettings } from "./config.ts";
import { MINUTE } from "./candles.ts";
import { RankerService } from "./service.ts";

const config = loadConfig(rankerSettings, {
  RANKER_POLL_INTERVAL: "50ms",
  RANKER_REPLAY: "10m",
  ALLOWED_LATENESS: "1s",
  CANDLE_PARTIAL_INTERVAL: "0",
  CANDLE_PREFETCH: "",
});

describe("candle history: trades → candle rooms → ROOMLOG + venue klines → edge history op", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let sim: SimulatorHandle;
  let svc: RankerService;
  let edge: EdgeHandle;
  const clients: TestClient[] = [];
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;

  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    await ensureStreams(await jetstreamManager(nc));
    await ensureBuckets(nc, { leaseMs: 2000, replicas: 1 });
    sim = await startSimulator({ port: 0, seed: 9, symbols: 20, tickRate: 200 });
    svc = new RankerService({
      nc, js: jetstream(nc), jsm: await jetstreamManager(nc), kv: await new Kvm(nc).open(BUCKET.leaders),
      clock: systemClock, leaseMs: 2000, holderId: "h1", config,
      klines: { coinbase: sim.urls.binanceRest, binance: sim.urls.binanceRest },
    });
    edge = await startEdge({ env: { NATS_URL: ns.url, EDGE_PORT: "0", EDGE_HOST: "127.0.0.1", UI_DIST: "/nonexistent", EDGE_MSG_RATE: "50", EDGE_MSG_BURST: "100" } });
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await edge?.stop();
    await svc?.stop();
    await sim?.close();
    await nc?.close();
    await ns?.cleanup();
  });

  const client = async () => {
    const c = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
    clients.push(c);
    return c;
  };
  const trade = (price: number, size: number, exchTs: number, id: number) =>
    ({ venue: "coinbase", market: "spot", symbol: "BTC-USD", price, size, side: "buy", tradeId: String(id), exchTs, recvTs: exchTs });

  it("builds 1-minute candles from trades, marking a minute without trades empty", async () => {
    const js = jetstream(nc);
    const rec = recordRooms(nc);
    await js.publish(subjects.trade("coinbase", "BTC-USD"), encode({ v: 1, trades: [trade(100, 1, base + 1000, 1), trade(104, 2, base + 20_000, 2)] }));
    await js.publish(subjects.trade("coinbase", "BTC-USD"), encode({ v: 1, trades: [trade(98, 0.5, base + 50_000, 3)] }));
    await js.publish(subjects.trade("coinbase", "BTC-USD"), encode({ v: 1, trades: [trade(101, 1, base + 2 * MINUTE + 1000, 4)] }));
    await publishTicks(js, [{ symbol: "BTC-USD", venue: "coinbase", price: 101, exchTs: base + 2 * MINUTE + 2000 }]);
    await svc.start();
    await waitFor(() => !!svc.leadership?.live, "leader caught up");
    await js.publish(subjects.trade("coinbase", "BTC-USD"), encode({ v: 1, trades: [trade(102, 1, Date.now(), 5)] }));
    const m1 = () => rec.of(rooms.candles("BTC-USD", "1m")).map((m) => CandleData.parse(m.data));
    await waitFor(() => m1().some((c) => c.start === base + 2 * MINUTE && c.final), "three closed minutes", 15_000);
    expect(m1()[0]).toMatchObject({ start: base, open: 100, high: 104, low: 98, close: 98, volume: 3.5, trades: 3, source: "trades", tf: "1m", final: true });
    expect(m1()[1]).toMatchObject({ start: base + MINUTE, empty: true, open: null });
    rec.stop();
  });

  it("answers the history op with ≥ 24 h of 1-minute candles: venue klines first, then the live ones", async () => {
    const c = await client();
    c.send({ op: "history", room: "candles.BTC-USD.1m", limit: 1440 });
    const f = await c.waitFor((x) => x.type === "history", 20_000);
    const data = (f.data as unknown[]).map((x) => CandleData.parse(x));
    expect(f.room).toBe("candles.BTC-USD.1m");
    expect(data).toHaveLength(1440);
    for (let i = 1; i < data.length; i++) expect(data[i]!.start - data[i - 1]!.start).toBe(MINUTE);
    const firstLive = data.findIndex((x) => x.source !== "venue");
    expect(data[firstLive]).toMatchObject({ start: base, source: "trades", open: 100 });
    expect(data.slice(0, firstLive).every((x) => x.source === "venue" && x.tf === "1m")).toBe(true);
    expect(firstLive).toBeGreaterThan(1400);
  });

  it("serves 1h history with ≥ 24 candles, and pages back with before", async () => {
    const c = await client();
    c.send({ op: "history", room: "candles.BTC-USD.1h", limit: 48 });
    const h = (await c.waitFor((x) => x.type === "history", 20_000)).data as CandleData[];
    expect(h.length).toBeGreaterThanOrEqual(24);
    expect(h.every((x) => x.start % 3_600_000 === 0)).toBe(true);
    const oldest = h[0]!.start;
    c.send({ op: "history", room: "candles.BTC-USD.1h", limit: 24, before: oldest });
    await c.until(() => c.frames.filter((x) => x.type === "history").length === 2, "second page", 20_000);
    const page = c.frames.filter((x) => x.type === "history")[1]!.data as CandleData[];
    expect(page).toHaveLength(24);
    expect(page.at(-1)!.start).toBe(oldest - 3_600_000);
  });

  it("validates the op and rate-limits it per socket", async () => {
    const c = await client();
    c.send({ op: "history", room: "ticker.BTC-USD" });
    c.send({ op: "history", room: "candles.BTC-USD.2m" });
    c.send({ op: "history", room: "candles.BTC-USD.1m", limit: 5000 });
    await c.until(() => c.frames.filter((x) => x.type === "error" && x.code === "bad_request").length === 3, "three bad_request errors");
    for (let i = 0; i < 7; i++) c.send({ op: "history", room: "candles.BTC-USD.5m", limit: 10 });
    await c.until(() => c.frames.filter((x) => x.type === "history").length === 5, "five answers (the burst)", 20_000);
    expect(c.frames.filter((x) => x.type === "error" && x.code === "rate_limited").length).toBe(2);
  });
});
