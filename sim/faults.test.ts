import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";
import { Client, getJson, postJson, sleep } from "./testkit.ts";

let sim: SimulatorHandle;
const clients: Client[] = [];
const open = async (url: string) => {
  const c = await Client.open(url);
  clients.push(c);
  return c;
};
/** Inside a 700 ms stall that began at `from` (the POST's round trip may take up to 50 ms). */
const inWindow = (t: number, from: number) => t > from + 50 && t < from + 650;
const faults = (body: unknown) => postJson<Record<string, unknown>>(`${sim.urls.control}/faults`, body);
const coinbase = async (products: string[], channels: string[] = ["ticker"], tag = "") => {
  const c = await open(`${sim.urls.coinbaseWs}?tag=${tag}`);
  c.send({ type: "subscribe", product_ids: products, channels });
  await c.waitFor((m) => m.type === "subscriptions");
  return c;
};

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 4, symbols: 40, tickRate: 400, heartbeatMs: 100 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await sim.close();
});

describe("fault knobs", () => {
  it("skipSequence next:1 leaves exactly one gap in a Coinbase product's sequence", async () => {
    const c = await coinbase(["BTC-USD"]);
    await c.waitFor((m) => m.type === "ticker", 5);
    expect((await faults({ skipSequence: { next: 1, venue: "coinbase" } })).status).toBe(200);
    await sleep(300);
    const seqs = c.all<{ sequence: number }>((m) => m.type === "ticker").map((m) => m.sequence);
    const steps = seqs.slice(1).map((s, i) => s - seqs[i]!);
    expect(steps.filter((d) => d !== 1)).toEqual([2]);
    c.close();
  });

  it("restartSequences closes every socket with 1001 and numbers a product's sequence and trade ids again from their start, with newer times", async () => {
    const first = await coinbase(["ADA-USD"]);
    const start = (await first.waitFor<{ sequence: number; trade_id: number; time: string }>((m) => m.type === "ticker"))[0]!;
    await first.waitFor((m) => m.type === "ticker", 20);
    const before = first.all<{ sequence: number; time: string }>((m) => m.type === "ticker").at(-1)!;
    const r = await faults({ restartSequences: true });
    expect(r.status).toBe(200);
    expect(await first.closed).toBe(1001);
    const again = await coinbase(["ADA-USD"]);
    await again.waitFor((m) => m.type === "ticker", 3);
    const after = again.all<{ sequence: number; time: string; trade_id: number }>((m) => m.type === "ticker");
    expect(after[0]!.sequence).toBeLessThan(before.sequence);
    expect(after[1]!.sequence).toBeLessThanOrEqual(start.sequence + 1);
    expect(after[1]!.trade_id).toBeLessThanOrEqual(start.trade_id + 1);
    expect(Date.parse(after[1]!.time)).toBeGreaterThan(Date.parse(before.time));
    again.close();
  });

  it("skipSequence on Binance makes a depth diff start 2 past the previous one", async () => {
    const c = await open(`${sim.urls.binanceWs}?streams=ethusdt@depth@100ms`);
    await c.waitFor((m) => m.stream !== undefined, 2);
    await faults({ skipSequence: { next: 1, venue: "binance", product: "ETHUSDT" } });
    await sleep(400);
    const evs = c.all<{ data: { U: number; u: number } }>((m) => m.stream !== undefined).map((m) => m.data);
    const gaps = evs.slice(1).map((e, i) => e.U - evs[i]!.u);
    expect(gaps.filter((g) => g !== 1)).toEqual([2]);
    c.close();
  });

  it("malformed next:1 sends one frame no JSON parser accepts, and the real frames still come", async () => {
    const c = await coinbase(["SOL-USD"]);
    await c.waitFor((m) => m.type === "ticker", 2);
    await faults({ malformed: { next: 1, venue: "coinbase" } });
    const seen = c.all((m) => m.type === "ticker").length;
    await c.waitFor((m) => m.type === "ticker", seen + 10);
    expect(c.frames.filter((f) => f.json === undefined).length).toBe(1);
    const seqs = c.all<{ sequence: number }>((m) => m.type === "ticker").map((m) => m.sequence);
    expect(seqs.slice(1).every((s, i) => s - seqs[i]! === 1)).toBe(true);
    c.close();
  });

  it("stall silences one connection while its socket stays open, then resumes", async () => {
    const c = await coinbase(["ETH-USD"], ["ticker", "heartbeat"], "stall-me");
    const other = await coinbase(["ETH-USD"]);
    await c.waitFor((m) => m.type === "ticker", 3);
    const conns = await getJson<Array<{ id: number; path: string }>>(`${sim.urls.control}/connections`);
    const mine = conns.find((x) => x.path.endsWith("tag=stall-me"))!;
    const from = Date.now();
    const r = await faults({ stall: { connection: mine.id, ms: 700 } });
    expect(r.body.stalled).toBe(1);
    await other.waitFor((m) => m.type === "ticker" && Date.parse(String(m.time)) > from + 700, 1, 5000);
    await c.waitFor((m) => m.type === "ticker" && Date.parse(String(m.time)) > from + 700, 1, 5000);
    // Judge by the server's own timestamps, not by arrival times: nothing stamped inside
    // the stall reached the stalled socket, while the other socket got plenty.
    const inside = (cl: Client) => cl.all((m) => (m.type === "ticker" || m.type === "heartbeat") && inWindow(Date.parse(String(m.time)), from));
    expect(inside(c)).toEqual([]);
    expect(inside(other).length).toBeGreaterThan(10);
    expect(c.closeCode).toBeUndefined();
    c.close();
    other.close();
  });

  it("drop closes every WebSocket at once", async () => {
    const a = await coinbase(["ADA-USD"]);
    const b = await open(`${sim.urls.binanceWs}?streams=adausdt@ticker`);
    const r = await faults({ drop: true });
    expect(r.body.dropped).toBeGreaterThanOrEqual(2);
    expect(await a.closed).toBe(1006);
    expect(await b.closed).toBe(1006);
  });

  it("force429 answers the next REST calls with 429, and restLatencyMs delays REST answers", async () => {
    await faults({ force429: 2 });
    const url = `${sim.urls.binanceRest}/api/v3/depth?symbol=BTCUSDT&limit=5`;
    expect((await fetch(url)).status).toBe(429);
    expect((await fetch(`${sim.urls.coingecko}/simple/price?ids=bitcoin&vs_currencies=usd`)).status).toBe(429);
    // Binance's 429 says Retry-After: 1; the simulator, like Binance, does not serve a client that ignores it.
    await new Promise((r) => setTimeout(r, 1050));
    expect((await fetch(url)).status).toBe(200);
    await faults({ restLatencyMs: 300 });
    const t0 = Date.now();
    expect((await fetch(url)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await faults({ reset: true });
    expect(await getJson(`${sim.urls.control}/faults`)).toMatchObject({ restLatencyMs: 0, force429: 0 });
  });

  it("changes the target tick rate through POST /_sim/rate", async () => {
    const r = await postJson<{ tickRate: number }>(`${sim.urls.control}/rate`, { ticksPerSecond: 1234 });
    expect(r.body.tickRate).toBe(1234);
    expect((await getJson<{ tickRate: { target: number } }>(`${sim.urls.control}/stats`)).tickRate.target).toBe(1234);
    expect((await postJson(`${sim.urls.control}/rate`, { ticksPerSecond: 0 })).status).toBe(400);
  });

  it("rejects fault requests it does not understand, changing nothing", async () => {
    expect((await faults({ stall: { ms: -5 } })).status).toBe(400);
    expect((await faults({ explode: true })).status).toBe(400);
    const r = await faults({ restLatencyMs: 50, stall: { product: "NOPE", ms: 10 } });
    expect(r.status).toBe(400);
    expect(await getJson(`${sim.urls.control}/faults`)).toMatchObject({ restLatencyMs: 0 });
  });
});
