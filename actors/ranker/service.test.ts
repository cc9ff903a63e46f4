import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { useBus } from "../../test/bus-fixture.ts";
import { BUCKET, STREAM } from "../../lib/platform/streams.ts";
import { encode } from "../../lib/contracts/codec.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { CandleData, MoversData, PulseData, TopCoinsData } from "../../lib/contracts/protocol.ts";
import { contiguous, publishTicks, recordRooms, waitFor } from "../coalescer/testing.ts";
import { rankerSettings } from "./config.ts";
import { CandleHistoryReply } from "./history.ts";
import { MINUTE } from "./candles.ts";
import { RankerService } from "./service.ts";

const LEASE_MS = 2000;
const config = loadConfig(rankerSettings, {
  RANKER_POLL_INTERVAL: "50ms",
  RANKER_REPLAY: "10m",
  MOVERS_MIN_INTERVAL: "200ms",
  ALLOWED_LATENESS: "1s",
  CANDLE_PARTIAL_INTERVAL: "0",
});
const dec = new TextDecoder();

describe("mover-ranker on a real nats-server", () => {
  const bus = useBus({ leaseMs: LEASE_MS });
  const conns: NatsConnection[] = [];
  const services: RankerService[] = [];
  bus.onCleanup(async () => { for (const s of services) await s.stop().catch(() => {}); });

  async function ranker(id: string): Promise<{ svc: RankerService; conn: NatsConnection }> {
    const conn = await bus.connect();
    conns.push(conn);
    const svc = new RankerService({
      nc: conn,
      js: jetstream(conn),
      jsm: await jetstreamManager(conn),
      kv: await new Kvm(conn).open(BUCKET.leaders),
      clock: systemClock,
      leaseMs: LEASE_MS,
      holderId: id,
      config,
    });
    services.push(svc);
    await svc.start();
    return { svc, conn };
  }

  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;

  it("builds candles, pulse windows and alerts from ticks on exchange time, and serves candle history", async () => {
    const js = jetstream(bus.nc);
    const rec = recordRooms(bus.nc);
    // Minute 0: three trades; minute 1: none; minute 2: one trade.
    await publishTicks(js, [
      { symbol: "BTC-USD", venue: "coinbase", price: 100, open24h: 99, lastSize: 1, exchTs: base + 1_000 },
      { symbol: "BTC-USD", venue: "coinbase", price: 110, open24h: 99, lastSize: 2, exchTs: base + 30_000 },
      { symbol: "BTC-USD", venue: "coinbase", price: 90, open24h: 99, lastSize: 1, exchTs: base + 50_000 },
    ]);
    await publishTicks(js, [{ symbol: "BTC-USD", venue: "coinbase", price: 95, open24h: 99, lastSize: 1, exchTs: base + 2 * MINUTE + 1_000 }]);
    await publishTicks(js, [{ symbol: "ETH-USD", venue: "coinbase", price: 120, open24h: 100, volume24h: 50, exchTs: base + 2 * MINUTE + 2_000 }]);
    const { svc } = await ranker("r1");
    await waitFor(() => !!svc.leadership?.live, "leader caught up");
    await publishTicks(js, [{ symbol: "ETH-USD", venue: "coinbase", price: 121, open24h: 100, volume24h: 51, exchTs: Date.now() }]);

    const candles = () => rec.of(rooms.candles("BTC-USD")).map((m) => CandleData.parse(m.data));
    await waitFor(() => candles().some((c) => c.start === base + 2 * MINUTE && c.final), "BTC candles of three minutes", 15_000);
    const [m0, m1, m2] = candles();
    expect(m0).toEqual({ symbol: "BTC-USD", start: base, open: 100, high: 110, low: 90, close: 90, volume: 4, trades: 3, empty: false, final: true, tf: "1m", source: "ticker" });
    expect(m1).toMatchObject({ start: base + MINUTE, empty: true, open: null, close: null, volume: 0 });
    expect(m2).toMatchObject({ start: base + 2 * MINUTE, open: 95, empty: false });
    expect(contiguous(rec.of(rooms.candles("BTC-USD")).map((m) => m.seq))).toBe(true);

    const alerts = rec.of(rooms.alerts);
    // BTC-USD at 110 is +11.1 % from its open (99); ETH-USD at 120 is +20 %.
    expect(alerts.map((a) => a.data as { symbol: string; kind: string }).map((a) => [a.symbol, a.kind])).toEqual([["BTC-USD", "surge"], ["ETH-USD", "surge"]]);
    const pulses = rec.of(rooms.pulse).map((m) => PulseData.parse(m.data));
    const first = pulses.find((p) => p.windowStart === base)!;
    expect(first.coins).toEqual([expect.objectContaining({ symbol: "BTC", ticks: 1, avgPrice: 100 })]);
    expect(pulses.find((p) => p.windowStart === base + 30_000)?.coins[0]).toMatchObject({ ticks: 2, avgPrice: 100 });

    const reply = await bus.nc.request(subjects.candleHistory, encode({ symbol: "BTC-USD", limit: 2 }), { timeout: 5000 });
    const h = CandleHistoryReply.parse(JSON.parse(dec.decode(reply.data)));
    expect("candles" in h && h.candles.map((c) => c.start)).toEqual([base + MINUTE, base + 2 * MINUTE]);
    const bad = await bus.nc.request(subjects.candleHistory, encode({ symbol: "no.such" }), { timeout: 5000 });
    expect(JSON.parse(dec.decode(bad.data)).error.code).toBe("bad_request");
    rec.stop();
  });

  it("publishes movers and topcoins with increasing seq, and a refresh returns the fresh snapshot it publishes", async () => {
    const js = jetstream(bus.nc);
    const svc = services[0]!;
    const rec = recordRooms(bus.nc);
    await js.publish(subjects.market("bitcoin"), encode({ v: 1, coin: "bitcoin", symbol: "BTC", rank: 1, price: 95, marketCap: 1.9e12, volume24h: 1, change24hPct: -4, ts: Date.now() }));
    for (let i = 0; i < 3; i++) {
      await publishTicks(js, [{ symbol: "SOL-USD", venue: "coinbase", price: 10 + i, open24h: 10, volume24h: 1000, exchTs: Date.now() }]);
      await publishTicks(js, [{ symbol: "BTC-USD", venue: "coinbase", price: 97 - i, open24h: 99, volume24h: 10, exchTs: Date.now() }]);
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitFor(() => rec.of(rooms.movers).some((m) => MoversData.parse(m.data).gainers.some((g) => g.symbol === "SOL-USD" && g.price === 12)), "movers with SOL");
    const movers = MoversData.parse(rec.of(rooms.movers).at(-1)!.data);
    expect(movers.gainers.map((g) => g.symbol)).toEqual(["ETH-USD", "SOL-USD"]);
    expect(movers.losers.map((g) => g.symbol)).toEqual(["BTC-USD"]);
    expect(contiguous(rec.of(rooms.movers).map((m) => m.seq))).toBe(true);
    await waitFor(() => rec.of(rooms.topcoins).some((m) => TopCoinsData.parse(m.data).coins.some((c) => c.rank === 1)), "topcoins with rank");
    const top = TopCoinsData.parse(rec.of(rooms.topcoins).at(-1)!.data);
    // BTC has CoinGecko rank 1; the unranked follow by quote volume: SOL 1000 × 12, ETH 51 × 121.
    expect(top.coins.map((c) => c.symbol)).toEqual(["BTC-USD", "SOL-USD", "ETH-USD"]);
    expect(top.coins[0]).toMatchObject({ rank: 1, marketCap: 1.9e12 });

    await publishTicks(js, [{ symbol: "ADA-USD", venue: "coinbase", price: 2, open24h: 1, exchTs: Date.now() }]);
    await waitFor(() => svc.leadership!.ranker.latest.get("ADA-USD") !== undefined, "ADA applied");
    const before = rec.of(rooms.movers).at(-1)!.seq;
    const reply = await bus.nc.request(subjects.refresh("movers"), new Uint8Array(), { timeout: 5000 });
    const env = JSON.parse(dec.decode(reply.data));
    expect(env.room).toBe("movers");
    expect(env.seq).toBeGreaterThan(before);
    expect(MoversData.parse(env.data).gainers[0]!.symbol).toBe("ADA-USD");
    const stored = await (await jetstreamManager(bus.nc)).streams.getMessage(STREAM.rooms, { last_by_subj: subjects.room(rooms.movers) });
    expect(stored!.string() === dec.decode(reply.data) || JSON.parse(stored!.string()).seq > env.seq).toBe(true);
    const topReply = JSON.parse(dec.decode((await bus.nc.request(subjects.refresh("topcoins"), new Uint8Array(), { timeout: 5000 })).data));
    expect(topReply.room).toBe("topcoins");
    rec.stop();
  });

  it("hands leadership to a standby when the leader dies, which continues every room's seq", async () => {
    const js = jetstream(bus.nc);
    const leader = services[0]!;
    const standby = await ranker("r2");
    expect(standby.svc.leadership).toBeUndefined();
    const rec = recordRooms(bus.nc);
    const lastMovers = JSON.parse((await (await jetstreamManager(bus.nc)).streams.getMessage(STREAM.rooms, { last_by_subj: "room.movers" }))!.string()).seq;
    await conns[0]!.close(); // the leader's connection: like a crash, the lease is not deleted
    await waitFor(() => !!standby.svc.leadership?.live, "standby elected", 3 * LEASE_MS);
    await publishTicks(js, [{ symbol: "XRP-USD", venue: "coinbase", price: 3, open24h: 1, exchTs: Date.now() }]);
    await waitFor(() => rec.of(rooms.movers).some((m) => MoversData.parse(m.data).gainers.some((g) => g.symbol === "XRP-USD")), "movers from the new leader");
    const seqs = rec.of(rooms.movers).map((m) => m.seq).filter((s) => s > lastMovers);
    expect(seqs[0]).toBe(lastMovers + 1);
    expect(contiguous(seqs)).toBe(true);
    // The new leader rebuilt its state from JetStream: symbols it never saw live are ranked.
    const m = MoversData.parse(rec.of(rooms.movers).at(-1)!.data);
    expect(m.gainers.map((g) => g.symbol)).toContain("ADA-USD");
    // Minutes the old leader finalised are not published again.
    expect(rec.of(rooms.candles("BTC-USD")).filter((c) => CandleData.parse(c.data).start <= base + 2 * MINUTE)).toEqual([]);
    rec.stop();
    await leader.stop();
  });
});
