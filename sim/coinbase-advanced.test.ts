import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client, isDecimal, sleep } from "./testkit.ts";

type Msg = Record<string, unknown> & { channel?: string; sequence_num?: number; timestamp?: string; events?: Array<Record<string, unknown>> };
const DOC = join(import.meta.dirname, "..", "test", "fixtures", "coinbase-advanced");
const doc = (name: string) => JSON.parse(readFileSync(join(DOC, name), "utf8")) as Msg;

let sim: SimulatorHandle;
const clients: Client[] = [];
const open = async () => {
  const c = await Client.open(sim.urls.coinbaseAdvancedWs);
  clients.push(c);
  return c;
};
const on = (ch: string) => (m: Msg) => m.channel === ch;
const sub = (c: Client, channel: string, ids = ["ETH-USD"]) => c.send({ type: "subscribe", product_ids: ids, channel });
/** Keys and JSON types of an object, so a frame is compared with the documented example field by field. */
const shape = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? "array" : typeof v]));

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3, symbols: 40, tickRate: 400, subscribeTimeoutMs: 1500, heartbeatMs: 200 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await sim.close();
});

describe("Coinbase Advanced Trade feed (sim /coinbase-advanced)", () => {
  it("sends ticker envelopes shaped like the documented example: a snapshot first, then updates, decimals as strings", async () => {
    const c = await open();
    sub(c, "ticker");
    const got = await c.waitFor<Msg>(on("ticker"), 3);
    const want = doc("ticker.json");
    expect(shape(got[0]!)).toEqual(shape(want));
    expect(got[0]!.events![0]!.type).toBe("snapshot");
    expect(got[2]!.events![0]!.type).toBe("update");
    const t = (got[1]!.events![0]!.tickers as Array<Record<string, unknown>>)[0]!;
    const wantT = (want.events![0]!.tickers as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(t)).toEqual(Object.keys(wantT));
    for (const k of Object.keys(wantT).filter((k) => k !== "type" && k !== "product_id")) expect(isDecimal(t[k]), `${k}=${String(t[k])}`).toBe(true);
    expect(got[1]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    c.close();
  });

  it("sends market_trades, l2_data and heartbeats with the documented keys and types", async () => {
    const c = await open();
    for (const ch of ["market_trades", "level2", "heartbeats"]) sub(c, ch);
    const [trade] = await c.waitFor<Msg>(on("market_trades"), 2);
    const wantTrade = doc("market_trades.json");
    expect(shape(trade!.events![0]!)).toEqual(shape(wantTrade.events![0]!));
    expect(shape((trade!.events![0]!.trades as Array<Record<string, unknown>>)[0]!)).toEqual(shape((wantTrade.events![0]!.trades as Array<Record<string, unknown>>)[0]!));
    const [l2] = await c.waitFor<Msg>(on("l2_data"), 2);
    const wantL2 = doc("level2.json");
    expect(shape(l2!)).toEqual(shape(wantL2));
    expect(Object.keys(l2!.events![0]!)).toEqual(Object.keys(wantL2.events![0]!));
    const u = (l2!.events![0]!.updates as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(u)).toEqual(Object.keys((wantL2.events![0]!.updates as Array<Record<string, unknown>>)[0]!));
    expect(u.event_time).toBe("1970-01-01T00:00:00Z");
    const hbs = await c.waitFor<Msg>(on("heartbeats"), 2);
    expect(Object.keys(hbs[0]!.events![0]!)).toEqual(Object.keys(doc("heartbeats.json").events![0]!));
    expect((hbs[1]!.events![0]!.heartbeat_counter as number) - (hbs[0]!.events![0]!.heartbeat_counter as number)).toBe(1);
    c.close();
  });

  it("numbers every message of a connection from 0 without holes, replies subscriptions per channel, and a skipSequence fault makes it jump", async () => {
    const c = await open();
    sub(c, "ticker", ["BTC-USD"]);
    sub(c, "heartbeats", ["BTC-USD"]);
    const [s1, s2] = await c.waitFor<Msg>(on("subscriptions"), 2);
    expect(s1!.events![0]).toEqual({ subscriptions: { ticker: ["BTC-USD"] } });
    expect(s2!.events![0]).toEqual({ subscriptions: { ticker: ["BTC-USD"], heartbeats: ["BTC-USD"] } });
    await c.waitFor(on("ticker"), 5);
    let seqs = c.all<Msg>((m) => "sequence_num" in m).map((m) => m.sequence_num!);
    expect(seqs.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seqs.every((s, i) => s === i)).toBe(true);
    sim.faults({ skipSequence: { next: 1, product: "BTC-USD", venue: "coinbase" } });
    const before = seqs.length;
    await c.waitFor(on("ticker"), c.all(on("ticker")).length + 3);
    seqs = c.all<Msg>((m) => "sequence_num" in m).map((m) => m.sequence_num!);
    const jumps = seqs.slice(before - 1).map((s, i, a) => (i === 0 ? 1 : s - a[i - 1]!)).filter((d) => d !== 1);
    expect(jumps).toEqual([2]);
    c.close();
  });

  it("level2: a snapshot of the whole book, then updates that keep a client's book equal to the simulator's; a skipSequence fault makes sequence_num jump past the update it drops", async () => {
    const c = await open();
    sub(c, "level2", ["SOL-USD"]);
    const book = new Map<string, string>();
    const apply = (m: Msg) => {
      for (const e of m.events ?? []) {
        if (e.type === "snapshot") book.clear();
        for (const u of e.updates as Array<Record<string, string>>) {
          const k = `${u.side}:${Number(u.price_level)}`;
          if (Number(u.new_quantity) === 0) book.delete(k);
          else book.set(k, u.new_quantity!);
        }
      }
    };
    const simBook = async () => {
      const b = (await (await fetch(`${sim.urls.control}/book?symbol=SOL-USD`)).json()) as { bids: [string, string][]; asks: [string, string][] };
      const m = new Map<string, string>();
      for (const [p, q] of b.bids) m.set(`bid:${Number(p)}`, String(Number(q)));
      for (const [p, q] of b.asks) m.set(`offer:${Number(p)}`, String(Number(q)));
      return m;
    };
    const frozen = async () => {
      sim.faults({ stall: { ms: 600, product: "SOL-USD" } });
      await sleep(150);
      book.clear();
      for (const m of c.all<Msg>(on("l2_data"))) apply(m);
      const want = await simBook();
      await sleep(500);
      return [new Map([...book].map(([k, q]) => [k, String(Number(q))])), want] as const;
    };
    const [first] = await c.waitFor<Msg>(on("l2_data"), 20);
    expect(first!.events![0]!.type).toBe("snapshot");
    expect((first!.events![0]!.updates as unknown[]).length).toBeGreaterThan(20);
    const [got, want] = await frozen();
    expect(got).toEqual(want);
    sim.faults({ skipSequence: { next: 1, product: "SOL-USD", venue: "coinbase" } });
    await c.waitFor(on("l2_data"), c.all(on("l2_data")).length + 20);
    const seqs = c.all<Msg>(on("l2_data")).map((m) => m.sequence_num!);
    const jumps = seqs.map((s, i) => (i === 0 ? 1 : s - seqs[i - 1]!)).filter((d) => d !== 1);
    expect(jumps).toEqual([2]);
    c.close();
  });

  it("refuses the Exchange's channels list (one channel per message) and unknown products, and keeps the socket open", async () => {
    const c = await open();
    c.send({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["ticker", "heartbeats"] });
    c.send({ type: "subscribe", product_ids: ["NOPE-USD"], channel: "ticker" });
    const errs = await c.waitFor<Msg>((m) => m.type === "error", 2);
    expect(String(errs[0]!.reason)).toContain("one channel");
    expect(String(errs[1]!.reason)).toContain("NOPE-USD");
    sub(c, "ticker", ["BTC-USD"]);
    await c.waitFor(on("ticker"), 1);
    c.close();
  });

  it("closes a socket that has not subscribed within the subscribe timeout", async () => {
    const c = await open();
    const t0 = Date.now();
    expect(await c.closed).toBe(1008);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1300);
  });

  it("leaves refused products out of the subscriptions reply, and moves every timestamp by the clockSkew knob", async () => {
    sim.faults({ refuseProducts: ["ETH-USD"], clockSkewMs: -60_000 });
    try {
      const c = await open();
      sub(c, "ticker", ["BTC-USD", "ETH-USD"]);
      const [s] = await c.waitFor<Msg>(on("subscriptions"), 1);
      expect(s!.events![0]).toEqual({ subscriptions: { ticker: ["BTC-USD"] } });
      const [t] = await c.waitFor<Msg>(on("ticker"), 1);
      const lag = Date.now() - Date.parse(t!.timestamp!);
      expect(lag).toBeGreaterThan(55_000);
      expect(lag).toBeLessThan(65_000);
      await sleep(50);
      c.close();
    } finally {
      sim.faults({ refuseProducts: [], clockSkewMs: 0 });
    }
  });
});
