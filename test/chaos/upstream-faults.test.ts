/**
 * Chaos: upstream faults from the exchange simulator's knobs (POST /_sim/faults) while
 * an actor host runs a connection shard against it: sequence gaps (Coinbase ticker,
 * Binance depth), a stalled venue, malformed frames and dropped sockets. Gap events
 * must appear on md.gap.>, the stalled streams must reconnect, malformed frames must
 * be counted, nothing may crash or restart, and ticks must keep flowing without a tick
 * stored twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { ticksInStream } from "../../actors/archiver/testing.ts";
import { decode } from "../../lib/contracts/codec.ts";
import { GapEvent } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { type Proc, Procs, report, secs, sleep, waitUntil } from "./procs.ts";
import { ownershipOfHosts, shardHostEnv } from "./shards.ts";

const procs = new Procs();
let ns: NatsServerHandle;
let sim: SimulatorHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let host: Proc;
let metricsPort: number;
let products: Array<{ cb: string; bn: string }>;
const HOST_ID = "chaos-upstream";

/** Sum of a Prometheus counter over the series whose labels contain `labels` (e.g. `venue="coinbase"`). */
async function counter(name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function fault(body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${sim.urls.control}/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`POST /_sim/faults ${JSON.stringify(body)}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  [ns, sim] = await Promise.all([startNatsServer(), startSimulator({ port: 0, seed: 17, symbols: 30, tickRate: 300 })]);
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  js = jetstream(nc);
  products = sim.universe.products.slice(0, 4).map((p) => ({ cb: p.cbId, bn: p.bnSymbol }));
  metricsPort = await freePort();
  host = procs.spawnTs(HOST_ID, "actors/main.ts", shardHostEnv({
    natsUrl: ns.url,
    hostId: HOST_ID,
    simUrl: sim.urls.binanceRest,
    products: products.map((p) => p.cb),
    leaseMs: 2000,
    extra: { METRICS_PORT: String(metricsPort), METRICS_HOST: "127.0.0.1", STALE_MS: "1500", BOOKS: "true", BOOK_INTERVAL_MS: "500", BAD_FRAME_LOG_MS: "60000" },
  }));
  await host.waitFor("ready with actors", 60_000);
}, 90_000);

afterAll(async () => {
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await sim?.close();
  await ns?.cleanup();
});

describe("chaos: upstream faults while a shard runs", () => {
  it("gaps become gap events, stalled streams reconnect, malformed frames are counted, and ticks keep flowing with nothing crashing", async () => {
    const total = products.length * 2;
    const arrivals = new Map<string, number[]>();
    nc.subscribe(subjects.allTicks, {
      callback: (_e, m) => {
        arrivals.set(m.subject, [...(arrivals.get(m.subject) ?? []).slice(-200), Date.now()]);
      },
    });
    const booksSeen = new Set<string>();
    nc.subscribe(subjects.allBooks, { callback: (_e, m) => { if (m.subject.startsWith("md.book.binance.")) booksSeen.add(m.subject); } });
    const gaps: GapEvent[] = [];
    nc.subscribe(subjects.allGaps, {
      callback: (_e, m) => {
        const r = decode(GapEvent, m.data);
        if (r.ok) gaps.push(r.value);
      },
    });
    const ticksSince = (t: number, venue?: string) =>
      [...arrivals].filter(([s]) => !venue || s.startsWith(`md.tick.${venue}.`)).filter(([, ts]) => ts.some((x) => x > t)).length;
    await waitUntil("every product ticking", () => arrivals.size === total, 40_000, 100);

    // 1. Sequence gaps: a lost Coinbase ticker message and a Binance depth event 2 past the last.
    const [p0, p1] = products;
    await fault({ skipSequence: { next: 1, venue: "coinbase", product: p0!.cb } });
    await waitUntil("a Coinbase gap event", () => gaps.some((g) => g.venue === "coinbase" && g.symbol === p0!.cb), 30_000);
    // A skipped depth event is a gap only once the book is in sync (snapshot applied);
    // before that the shard is still buffering for its snapshot.
    await waitUntil("Binance books in sync", () => booksSeen.size >= products.length, 30_000, 100);
    await fault({ skipSequence: { next: 1, venue: "binance", product: p1!.bn } });
    await waitUntil("a Binance gap event", () => gaps.some((g) => g.venue === "binance"), 30_000);
    const afterGaps = Date.now();
    await waitUntil("ticks of the gapped products after the gaps", () =>
      arrivals.get(subjects.tick("coinbase", p0!.cb))!.some((t) => t > afterGaps) ? true : undefined, 15_000);

    // 2. A stalled venue: sockets stay open but go silent; the staleness watchdog reconnects.
    const reconnectsBefore = await counter("ingest_reconnects_total", 'venue="coinbase"');
    const stalledAt = Date.now();
    await fault({ stall: { ms: 6000, venue: "coinbase" } });
    await waitUntil("a reconnect of the stalled venue", async () => (await counter("ingest_reconnects_total", 'venue="coinbase"')) > reconnectsBefore, 15_000, 100);
    const reconnectedAt = Date.now();
    // Ticks come back well before the stall would have ended by itself.
    const stallResumedAt = await waitUntil("Coinbase ticks after the reconnect", () =>
      ticksSince(reconnectedAt, "coinbase") === products.length ? Date.now() : undefined, 15_000, 50);

    // 3. Malformed frames (truncated JSON, missing quote, binary garbage) on both venues.
    const badBefore = await counter("ingest_bad_frames_total");
    await fault({ malformed: { next: 10 } });
    await waitUntil("10 malformed frames counted", async () => (await counter("ingest_bad_frames_total")) >= badBefore + 10, 15_000, 100);
    const bad = (await counter("ingest_bad_frames_total")) - badBefore;

    // 4. Every socket cut at once.
    const dropped = await fault({ drop: true });
    const droppedAt = Date.now();
    const dropResumedAt = await waitUntil("every product ticking after the drop", () => ticksSince(droppedAt) === total ? Date.now() : undefined, 20_000, 50);

    // Nothing crashed: the process runs, no actor restarted, every product owned and ticking.
    await fault({ reset: true });
    const settledAt = Date.now();
    await waitUntil("every product ticking at the end", () => ticksSince(settledAt) === total, 15_000, 50);
    const o = await ownershipOfHosts(nc, [HOST_ID], 1000);
    expect(o.total).toBe(total);
    const st = await nc.request(`tickflow.host.${HOST_ID}.status`, "", { timeout: 1000 });
    const actors = (st.json<{ actors: Array<{ path: string; restarts: number }> }>()).actors;
    const restarts = actors.reduce((s, a) => s + a.restarts, 0);
    expect(restarts).toBe(0);
    expect(host.running).toBe(true);
    await sleep(300);
    const stored = await ticksInStream(js);
    const duplicates = stored.length - new Set(stored).size;
    expect(duplicates).toBe(0);
    expect(bad).toBeGreaterThanOrEqual(10);
    expect(gaps.every((g) => g.got > g.expected)).toBe(true);

    report(
      `upstream faults → gap events ${gaps.length} on md.gap.> (${[...new Set(gaps.map((g) => g.venue))].join(", ")}), ` +
        `stalled venue reconnected in ${secs(reconnectedAt - stalledAt)} and ticking in ${secs(stallResumedAt - stalledAt)} (stall 6 s), ` +
        `malformed frames counted ${bad}, ${String(dropped.dropped)} dropped sockets back in ${secs(dropResumedAt - droppedAt)}, ` +
        `actor restarts ${restarts}, ticks stored ${stored.length}, duplicates ${duplicates}`,
    );
  }, 90_000);
});
