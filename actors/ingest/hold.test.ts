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

/** Send `n` ticks of `symbol`, one every ms, while NATS is killed after `killAfter` and restarted `downMs` later. */
async function outage(p: Publisher, symbol: string, n: number, killAfter: number, downMs: number): Promise<void> {
  let restarted: Promise<void> | undefined;
  for (let i = 1; i <= n; i++) {
    p.tick(tick(symbol, i));
    if (i === killAfter) {
      await ns.kill();
      restarted = sleep(downMs).then(() => ns.restart());
    }
    await sleep(1);
  }
  await restarted;
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
