import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client, fixture, isDecimal, sleep } from "./testkit.ts";

let sim: SimulatorHandle;
const clients: Client[] = [];
const open = async () => {
  const c = await Client.open(sim.urls.coinbaseWs);
  clients.push(c);
  return c;
};
const isTicker = (m: Record<string, unknown>) => m.type === "ticker";

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 1, symbols: 60, tickRate: 400, subscribeTimeoutMs: 3000, heartbeatMs: 200 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await sim.close();
});

describe("Coinbase feed", () => {
  it("sends ticker frames with exactly the fixture's keys, in its order, decimals as strings", async () => {
    const c = await open();
    c.send({ type: "subscribe", product_ids: ["ETH-USD"], channels: ["ticker"] });
    const [t] = await c.waitFor(isTicker, 3);
    const want = fixture("coinbase_exchange_ticker.json");
    expect(Object.keys(t!)).toEqual(Object.keys(want));
    for (const k of ["price", "open_24h", "volume_24h", "low_24h", "high_24h", "volume_30d", "best_bid", "best_bid_size", "best_ask", "best_ask_size", "last_size"]) {
      expect(isDecimal(t![k]), `${k}=${String(t![k])}`).toBe(true);
    }
    expect(typeof t!.sequence).toBe("number");
    expect(typeof t!.trade_id).toBe("number");
    expect(t!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(["buy", "sell"]).toContain(t!.side);
    expect(Number(t!.best_bid)).toBeLessThanOrEqual(Number(t!.price));
    expect(Number(t!.best_ask)).toBeGreaterThan(Number(t!.price));
    c.close();
  });

  it("acknowledges a subscribe with a subscriptions message, for both channel forms", async () => {
    const c = await open();
    c.send({ type: "subscribe", product_ids: ["ETH-USD", "BTC-USD"], channels: ["heartbeat", { name: "ticker", product_ids: ["SOL-USD"] }] });
    const [ack] = await c.waitFor((m) => m.type === "subscriptions");
    expect(ack).toEqual({
      type: "subscriptions",
      channels: [
        { name: "heartbeat", product_ids: ["ETH-USD", "BTC-USD"] },
        { name: "ticker", product_ids: ["ETH-USD", "BTC-USD", "SOL-USD"] },
      ],
    });
    c.close();
  });

  it("numbers each product's messages with a sequence that grows by exactly 1", async () => {
    const c = await open();
    c.send({ type: "subscribe", product_ids: ["BTC-USD", "SOL-USD", "DOGE-USD"], channels: ["ticker"] });
    await c.waitFor(isTicker, 60);
    for (const id of ["BTC-USD", "SOL-USD", "DOGE-USD"]) {
      const seqs = c.all<{ sequence: number }>((m) => isTicker(m) && m.product_id === id).map((m) => m.sequence);
      expect(seqs.length).toBeGreaterThan(5);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]! - seqs[i - 1]!).toBe(1);
    }
    c.close();
  });

  it("sends heartbeats per subscribed product with the fixture's keys and the current sequence", async () => {
    const c = await open();
    c.send({ type: "subscribe", product_ids: ["ADA-USD", "XRP-USD"], channels: ["heartbeat"] });
    const hbs = await c.waitFor((m) => m.type === "heartbeat", 4);
    expect(Object.keys(hbs[0]!).sort()).toEqual(Object.keys(fixture("coinbase_exchange_heartbeat.json")).sort());
    expect(new Set(hbs.map((h) => h.product_id))).toEqual(new Set(["ADA-USD", "XRP-USD"]));
    expect(typeof hbs[0]!.sequence).toBe("number");
    expect(typeof hbs[0]!.last_trade_id).toBe("number");
    c.close();
  });

  it("unsubscribes products and whole channels, replying with what is left", async () => {
    const c = await open();
    c.send({ type: "subscribe", product_ids: ["ETH-USD", "BTC-USD"], channels: ["ticker", "heartbeat"] });
    await c.waitFor((m) => m.type === "subscriptions");
    c.send({ type: "unsubscribe", product_ids: ["ETH-USD"], channels: ["ticker"] });
    c.send({ type: "unsubscribe", channels: ["heartbeat"] });
    const acks = await c.waitFor((m) => m.type === "subscriptions", 3);
    expect(acks[1]!.channels).toEqual([
      { name: "ticker", product_ids: ["BTC-USD"] },
      { name: "heartbeat", product_ids: ["ETH-USD", "BTC-USD"] },
    ]);
    expect(acks[2]!.channels).toEqual([{ name: "ticker", product_ids: ["BTC-USD"] }]);
    const before = c.all((m) => isTicker(m) && m.product_id === "ETH-USD").length;
    await sleep(300);
    expect(c.all((m) => isTicker(m) && m.product_id === "ETH-USD").length).toBe(before);
    c.close();
  });

  it("answers bad requests with error messages and keeps the connection", async () => {
    const c = await open();
    c.send("{not json");
    c.send({ type: "subscribe", product_ids: ["NOPE-USD"], channels: ["ticker"] });
    c.send({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["level3"] });
    c.send({ type: "hello" });
    const errs = await c.waitFor((m) => m.type === "error", 4);
    for (const e of errs) expect(typeof e.message).toBe("string");
    expect(String(errs[1]!.reason)).toContain("NOPE-USD");
    expect(String(errs[2]!.reason)).toContain("level3");
    c.send({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["ticker"] });
    await c.waitFor((m) => m.type === "subscriptions");
    expect(c.closeCode).toBeUndefined();
    c.close();
  });

  it("disconnects a client that does not subscribe within the timeout", async () => {
    const quick = await startSimulator({ port: 0, seed: 1, symbols: 10, tickRate: 10, subscribeTimeoutMs: 300 });
    try {
      const c = await Client.open(quick.urls.coinbaseWs);
      const subscribed = await Client.open(quick.urls.coinbaseWs);
      subscribed.send({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["heartbeat"] });
      expect(await c.closed).toBe(1008);
      await sleep(300);
      expect(subscribed.closeCode).toBeUndefined();
      subscribed.close();
    } finally {
      await quick.close();
    }
  });

  it("disconnects a client that sends more than 8 messages in a second", async () => {
    const c = await open();
    for (let i = 0; i < 9; i++) c.send({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["heartbeat"] });
    expect(await c.closed).toBe(1008);
    expect(c.all((m) => m.type === "subscriptions").length).toBe(8);
    expect(c.all((m) => m.type === "error").length).toBe(1);
  });
});

describe("Coinbase rate limit per IP", () => {
  it("counts every connection from one IP against the same limit when the scope is ip", async () => {
    const s = await startSimulator({ port: 0, seed: 1, symbols: 10, tickRate: 10, coinbaseLimitScope: "ip" });
    try {
      const a = await Client.open(s.urls.coinbaseWs);
      const b = await Client.open(s.urls.coinbaseWs);
      const sub = { type: "subscribe", product_ids: ["BTC-USD"], channels: ["heartbeat"] };
      for (let i = 0; i < 5; i++) a.send(sub);
      for (let i = 0; i < 4; i++) b.send(sub);
      // Nine messages from one IP within a second: whichever arrives ninth trips the limit.
      const first = await Promise.race([a.closed, b.closed]);
      expect(first).toBe(1008);
      await sleep(100);
      const acks = [...a.all((m) => m.type === "subscriptions"), ...b.all((m) => m.type === "subscriptions")];
      expect(acks.length).toBe(8);
      expect([a.closeCode, b.closeCode].filter((x) => x !== undefined).length).toBe(1);
      a.close();
      b.close();
    } finally {
      await s.close();
    }
  });
});
