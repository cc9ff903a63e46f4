import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import { BUCKET } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import type { TickBatch } from "../../lib/contracts/messages.ts";
import { systemClock } from "../runtime/mod.ts";
import { Publisher } from "./publisher.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "./testkit.ts";

const LEASE = 2000;
let bus: Bus;
let wss: WebSocketServer;
/** What the fake Coinbase sends to the next connection that subscribes: ticker sequences. */
let script: number[] = [];
const sockets = new Set<WebSocket>();

/** Exchange time of the upstream session the script belongs to (a restarted venue has a later one). */
let sessionStart = 1_700_000_000_000;
const frame = (seq: number) =>
  JSON.stringify({ type: "ticker", sequence: seq, product_id: "BTC-USD", price: `${100 + seq}.5`, time: new Date(sessionStart + seq).toISOString() });

beforeAll(async () => {
  bus = await startBus(LEASE);
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  wss.on("connection", (ws) => {
    sockets.add(ws);
    ws.on("close", () => sockets.delete(ws));
    ws.on("message", (d) => {
      const m = JSON.parse(d.toString()) as { type: string };
      if (m.type !== "subscribe") return;
      ws.send(JSON.stringify({ type: "subscriptions", channels: [{ name: "ticker", product_ids: ["BTC-USD"] }] }));
      for (const s of script) ws.send(frame(s));
    });
  });
  await new Promise((r) => wss.once("listening", r));
});
afterAll(async () => {
  for (const s of sockets) s.terminate();
  await new Promise((r) => wss.close(r));
  await bus.close();
});

function shard(id: string, fastPublish = false): ShardService {
  // The scripted upstream's exchange times are fixed 2023 instants: no clock-skew check here (it would stamp them with the receive time).
  const s = testSettings({ FEED: "coinbase", COINBASE_WS_URL: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/coinbase`, STALE_MS: "60000", MAX_CLOCK_SKEW_MS: "100000h" });
  return new ShardService({
    shardId: id, js: bus.js, ...(fastPublish ? { nc: bus.nc } : {}), jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
    settings: s, endpoints: venueEndpoints(s), products: { coinbase: ["BTC-USD"] }, coinbaseGapCheck: true,
  });
}

const storedTicks = async () =>
  (await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", "BTC-USD"))).flatMap((m) => m.value.ticks);
const stored = async () => (await storedTicks()).map((t) => t.seq);

describe("replayed frames", () => {
  it("the same frame replayed is stored once: after a reconnect, and by another shard", async () => {
    script = [1, 2, 3, 4, 5];
    const a = shard("replay-a", true);
    await a.start();
    await waitFor("5 ticks", async () => (await stored()).length >= 5 || undefined);
    // The upstream replays 3..5 after a reconnect, then continues.
    script = [3, 4, 5, 6, 7, 8];
    for (const s of sockets) s.terminate();
    await waitFor("ticks up to 8", async () => (await stored()).includes(8) || undefined);
    await a.stop();
    expect(await stored()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // A fresh shard (no memory of what was published, publishing through js.publish) gets the whole history again.
    script = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const b = shard("replay-b");
    await b.start();
    await waitFor("tick 9", async () => (await stored()).includes(9) || undefined);
    await b.stop();
    expect(await stored()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a restarted upstream numbering from lower sequences again flows, to the same shard and to a fresh one", async () => {
    // Runs after the first test: 1..9 of session 1 are stored.
    const a = shard("session-a", true);
    sessionStart = 1_700_000_100_000;
    script = [1, 2, 3];
    await a.start();
    await waitFor("session 2 ticks", async () => ((await storedTicks()).filter((t) => t.exchTs >= sessionStart).length >= 3) || undefined);
    // The same venue session replayed after a reconnect is still dropped; then it goes on.
    script = [2, 3, 4];
    for (const s of sockets) s.terminate();
    await waitFor("tick 4 of session 2", async () => (await storedTicks()).some((t) => t.exchTs === sessionStart + 4) || undefined);
    // The venue restarts again while the shard runs (maintenance): its in-memory floor gives way too.
    sessionStart = 1_700_000_200_000;
    script = [1, 2];
    for (const s of sockets) s.terminate();
    await waitFor("session 3 ticks", async () => ((await storedTicks()).filter((t) => t.exchTs >= sessionStart).length >= 2) || undefined);
    await a.stop();
    expect(await stored()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 1, 2]);
    sessionStart = 1_700_000_000_000;
  });

  it("JetStream stores a tick batch once when two publishers send it with the same msgID", async () => {
    const tick = { venue: "coinbase", symbol: "ETH-USD", price: 1, exchTs: 1, recvTs: 2, seq: 77 };
    for (const _ of [1, 2]) {
      const p = new Publisher(bus.js, { lingerMs: 1, maxBatch: 10, maxInFlight: 10, clock: systemClock });
      p.tick(tick);
      await p.flush();
    }
    const got = await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", "ETH-USD"));
    expect(got.map((m) => m.value.ticks.map((t) => t.seq))).toEqual([[77]]);
  });

  it("JetStream stores a tick again when a new upstream session repeats its sequence with a newer exchange time", async () => {
    for (const exchTs of [1, 1, 5_000]) {
      const p = new Publisher(bus.js, { lingerMs: 1, maxBatch: 10, maxInFlight: 10, clock: systemClock });
      p.tick({ venue: "coinbase", symbol: "SOL-USD", price: 1, exchTs, recvTs: exchTs + 1, seq: 42 });
      await p.flush();
    }
    const got = await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", "SOL-USD"));
    expect(got.map((m) => m.value.ticks.map((t) => [t.seq, t.exchTs]))).toEqual([[[42, 1]], [[42, 5_000]]]);
  });
});
