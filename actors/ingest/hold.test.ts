import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { GapEvent, type Tick, type TickBatch } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { AsyncJetStream } from "./js-async.ts";
import { Publisher } from "./publisher.ts";
import { readStored, sleep, waitFor } from "./testkit.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await ensureStreams(await jetstreamManager(nc));
});
afterAll(async () => {
  await nc?.close().catch(() => {});
  await ns?.cleanup();
});

const tick = (symbol: string, seq: number): Tick => ({ venue: "coinbase", symbol, price: 100 + seq, exchTs: 1_700_000_000_000 + seq, recvTs: 1_700_000_000_000 + seq, seq });
const storedSeqs = async (symbol: string) =>
  (await readStored<TickBatch>(jetstream(nc), await jetstreamManager(nc), subjects.tick("coinbase", symbol))).flatMap((m) => m.value.ticks.map((t) => t.seq));
const counter = (m: Metrics, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "m").exec(m.render())?.[1] ?? 0);

/**
 * Send `n` ticks of `symbol`, one every ms, while NATS is killed after `killAfter` and
 * restarted `downMs` later. Resolves with the restart time; `sentAt[seq]` is each tick's send time.
 */
async function outage(p: Publisher, symbol: string, n: number, killAfter: number, downMs: number, sentAt: number[] = []): Promise<number> {
  let restarted: Promise<number> | undefined;
  for (let i = 1; i <= n; i++) {
    sentAt[i] = Date.now();
    p.tick(tick(symbol, i));
    if (i === killAfter) {
      await ns.kill();
      restarted = sleep(downMs).then(() => ns.restart()).then(() => Date.now());
    }
    await sleep(1);
  }
  return await restarted!;
}

describe("publishing through a NATS outage", () => {
  it("holds every tick while nats-server is down (kill -9, 3 s) and stores each exactly once after it is back", async () => {
    const metrics = new Metrics();
    const ajs = new AsyncJetStream(nc, 1000);
    const p = new Publisher(ajs, { lingerMs: 2, maxBatch: 20, maxInFlight: 64, clock: systemClock, metrics, retryMaxDelayMs: 1000 });
    await outage(p, "HOLD-USD", 3000, 800, 3000);
    // The JetStream API may time out for a moment after the restart: that is "not yet", not a failure.
    await waitFor("all ticks stored", async () => (await storedSeqs("HOLD-USD").catch(() => [])).length >= 3000 || undefined, 30_000, 200);
    await p.flush();
    const seqs = await storedSeqs("HOLD-USD");
    expect(seqs.length).toBe(3000);
    expect(new Set(seqs).size).toBe(3000);
    expect(counter(metrics, "ingest_publish_failures_total")).toBe(0);
    expect(counter(metrics, "ingest_hold_dropped_ticks_total")).toBe(0);
    expect(counter(metrics, "ingest_publish_retries_total")).toBeGreaterThan(0);
    expect(p.held()).toBe(0);
    p.close();
    ajs.close();
  }, 60_000);

  it("after an outage retries what it holds as soon as JetStream acks again: not when an ack timeout (2 s here) or a backoff (up to 10 s) runs out", async () => {
    const ajs = new AsyncJetStream(nc, 2000);
    const p = new Publisher(ajs, { lingerMs: 2, maxBatch: 20, maxInFlight: 64, clock: systemClock });
    const ackedAt = new Map<number, number>();
    p.setOnAck((ticks, at) => {
      for (const t of ticks) ackedAt.set(t.seq, at);
    });
    // 3 s down: backoffs of the messages held since the kill have grown to seconds by then; ticks keep coming after the restart.
    const sentAt: number[] = [];
    const restartedAt = await outage(p, "WAKE-USD", 4000, 300, 3000, sentAt);
    await waitFor("all ticks acked", () => ackedAt.size >= 4000 || undefined, 30_000, 100);
    await p.flush();
    // Every tick sent before NATS was back (held in the publisher): when was it acked?
    const held = [...ackedAt].filter(([seq]) => sentAt[seq]! < restartedAt);
    const backAt = Math.min(...[...ackedAt.values()].filter((at) => at >= restartedAt));
    const lateness = Math.max(...held.map(([, at]) => at)) - restartedAt;
    console.log(`publisher: ${held.length} ticks held through a 3 s outage; JetStream acked again ${backAt - restartedAt} ms after the restart, the last held tick ${lateness} ms after the restart`);
    // Without failing what awaited an ack at the reconnect: ≥ the 2 s ack timeout.
    expect(lateness, `held ticks acked ${lateness} ms after the restart`).toBeLessThan(1500);
    p.close();
    ajs.close();
  }, 60_000);

  it("past the hold budget drops only what overflows, then publishes one md.gap per symbol with the counts", async () => {
    const metrics = new Metrics();
    const ajs = new AsyncJetStream(nc, 1000);
    const p = new Publisher(ajs, { lingerMs: 2, maxBatch: 5, maxInFlight: 16, clock: systemClock, metrics, retryMaxDelayMs: 500, holdBytes: 64 * 1024 });
    await outage(p, "OVER-USD", 3000, 500, 3000);
    await sleep(1500);
    await p.flush();
    const seqs = await storedSeqs("OVER-USD");
    const dropped = counter(metrics, "ingest_hold_dropped_ticks_total");
    expect(dropped).toBeGreaterThan(0);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length + dropped).toBe(3000);
    const gaps = (await readStored<unknown>(jetstream(nc), await jetstreamManager(nc), subjects.gap("coinbase", "OVER-USD"))).map((m) => GapEvent.parse(m.value));
    expect(gaps.length).toBe(1);
    expect(gaps[0]).toMatchObject({ reason: "hold_overflow", droppedTicks: dropped });
    const missing = [...Array(3000).keys()].map((i) => i + 1).filter((s) => !seqs.includes(s));
    expect(gaps[0]!.expected).toBe(missing[0]);
    expect(gaps[0]!.got).toBe(missing.at(-1)! + 1);
    expect(counter(metrics, "ingest_hold_gap_events_total")).toBe(1);
    p.close();
    ajs.close();
  }, 60_000);
});
