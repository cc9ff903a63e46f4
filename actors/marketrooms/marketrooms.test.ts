/**
 * book.<SYMBOL> and trades.<SYMBOL>: pure room logic, then the actor's service on a real
 * nats-server with a real edge delivering the rooms to a WebSocket client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { BUCKET, ensureBuckets, ensureStreams } from "../../lib/platform/streams.ts";
import { encode } from "../../lib/contracts/codec.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { BookSnapshot, Trade } from "../../lib/contracts/messages.ts";
import { systemClock } from "../runtime/mod.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { TestClient } from "../../edge/testing.ts";
import { BookRooms, TradeRooms } from "./rooms.ts";
import { marketRoomsSettings, MarketRoomsService } from "./mod.ts";
import type { HostContext } from "../host-context.ts";

const book = (lastUpdateId: number, market = "spot"): BookSnapshot => ({
  v: 1, venue: "binance", market, symbol: "BTC-USDT", ts: 1000 + lastUpdateId, lastUpdateId,
  levels: [
    { side: "ask", price: 101, qty: 2, level: 0 }, { side: "ask", price: 102, qty: 0, level: 1 }, { side: "ask", price: 103, qty: 1, level: 2 },
    { side: "bid", price: 99, qty: 3, level: 1 }, { side: "bid", price: 100, qty: 1, level: 0 },
  ],
});
const trade = (id: number, ts: number, price = 100): Trade =>
  ({ venue: "binance", market: "spot", symbol: "BTC-USDT", price, size: 0.5, side: id % 2 ? "buy" : "sell", tradeId: String(id), exchTs: ts, recvTs: ts });

describe("book and trades rooms", () => {
  it("keeps the top levels per side best first, drops empty levels and never goes back to an older book", () => {
    const b = new BookRooms(2);
    expect(b.offer(book(5))).toBe(true);
    const [d] = b.take();
    expect(d).toMatchObject({ symbol: "BTC-USDT", bids: [[100, 1], [99, 3]], asks: [[101, 2], [103, 1]] });
    expect(b.offer(book(4))).toBe(false);
    expect(b.offer(book(6, "usdm"))).toBe(false);
    expect(b.take()).toEqual([]);
  });

  it("lists the latest trades newest first, each trade once", () => {
    const t = new TradeRooms(3);
    for (const [id, ts] of [[1, 10], [2, 30], [3, 20], [2, 30], [4, 40]] as const) t.offer(trade(id, ts));
    const [d] = t.take();
    expect(d!.trades.map((x) => x.id)).toEqual(["4", "2", "3"]);
    expect(t.take()).toEqual([]);
  });
});

describe("market-rooms actor on a real nats-server and edge", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let svc: MarketRoomsService;
  let edge: EdgeHandle;
  let client: TestClient;

  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(nc, { leaseMs: 2000, replicas: 1 });
    const js = jetstream(nc);
    await js.publish(subjects.book("binance", "BTC-USDT"), encode(book(7)));
    const host = { hostId: "t", nc, js, jsm, kv: { [BUCKET.leaders]: await new Kvm(nc).open(BUCKET.leaders) }, clock: systemClock, metrics: new Metrics(), env: {}, leaseMs: 2000 } as unknown as HostContext;
    svc = new MarketRoomsService(host, loadConfig(marketRoomsSettings, { MARKET_ROOMS_INTERVAL: "100ms" }), "t-1");
    await svc.start();
    edge = await startEdge({ env: { NATS_URL: ns.url, EDGE_PORT: "0", EDGE_HOST: "127.0.0.1", UI_DIST: "/nonexistent" } });
    client = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
  }, 30_000);
  afterAll(async () => {
    client?.close();
    await edge?.stop();
    await svc?.stop();
    await nc?.close();
    await ns?.cleanup();
  });

  it("delivers the last book at once and new trades as they come", async () => {
    client.send({ op: "subscribe", rooms: ["book.BTC-USDT", "trades.BTC-USDT"] });
    const b = await client.waitFor((f) => f.room === "book.BTC-USDT", 15_000);
    expect(b.data).toMatchObject({ venue: "binance", lastUpdateId: 7, bids: [[100, 1], [99, 3]] });
    const js = jetstream(nc);
    await js.publish(subjects.trade("binance", "BTC-USDT"), encode({ v: 1, trades: [trade(1, Date.now()), trade(2, Date.now() + 1, 101)] }));
    const t = await client.waitFor((f) => f.room === "trades.BTC-USDT", 15_000);
    expect((t.data as { trades: { id: string }[] }).trades.map((x) => x.id)).toEqual(["2", "1"]);
    await js.publish(subjects.book("binance", "BTC-USDT"), encode({ ...book(8), levels: [{ side: "bid", price: 100.5, qty: 2, level: 0 }] }));
    await client.until(() => client.frames.some((f) => f.room === "book.BTC-USDT" && (f.data as { lastUpdateId: number }).lastUpdateId === 8), "the newer book", 15_000);
  });
});
