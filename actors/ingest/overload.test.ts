/**
 * A shard under overload keeps its lease and degrades: against a real nats-server and the
 * real simulator, the event loop is kept busy in long turns (as 60,000 frames/s do to
 * one shard process) while the publish path cannot keep up (small hold budget, few
 * publishes in flight). The lease must be renewed throughout, the products stay owned,
 * what the hold budget cannot take is dropped and reported as md.gap, ticks keep flowing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { ChildProcess } from "node:child_process";
import { GapEvent } from "../../lib/contracts/messages.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import type { VenueProtocol } from "./venues.ts";
import { BUCKET, type Bus, readStored, sleep, startBus, testSettings, waitFor } from "./testkit.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

const LEASE = 10_000; // LEASE_MS's default: renewal every 2.5 s, each may take 1.25 s
let bus: Bus;
let sim: ChildProcess;
let simUrl: string;
let publishNc: NatsConnection;

beforeAll(async () => {
  [bus, sim] = await Promise.all([startBus(LEASE), simulatorProcess({ SIM_SEED: "7", SIM_SYMBOLS: "20", SIM_TICK_RATE: "3000", SIM_HEARTBEAT_MS: "200" })]);
  publishNc = await connect({ servers: bus.ns.url });
});
afterAll(async () => {
  await publishNc?.close().catch(() => {});
  sim?.kill("SIGTERM");
  await bus?.close();
});

const counter = (m: Metrics, name: string) =>
  [...m.render().matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "gm"))].reduce((n, x) => n + Number(x[1]), 0);

/** The simulator in a process of its own (as in production the venue is elsewhere); resolves once it listens. */
function simulatorProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawnTsx("sim/main.ts", {
    env: { SIM_PORT: "0", LOG_LEVEL: "warning", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /BINANCE_REST_URL=(\S+)/.exec(out);
      if (m) {
        simUrl = m[1]!;
        resolve(child);
      }
    });
    child.once("exit", (c) => reject(new Error(`simulator exited with ${c}`)));
  });
}

/**
 * Makes every frame cost `ms` of CPU, so the feed offers more than the shard can process:
 * frames then arrive in long I/O turns, as 60,000 frames/s do to one shard process. (No
 * real part makes a frame this expensive on demand, hence the busy wait in parse.)
 */
function overload(shard: ShardService, ms: number): () => void {
  const protocol = shard.venues.get("coinbase")!.protocol as { parse: VenueProtocol["parse"] };
  const parse = protocol.parse;
  protocol.parse = (raw, recvTs) => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* busy */ }
    return parse(raw, recvTs);
  };
  return () => {
    protocol.parse = parse;
  };
}

describe("connection shard under overload", () => {
  it("keeps its lease and its products through 20 s of a saturated event loop, drops what the hold budget cannot take and reports it as md.gap", async () => {
    const s = testSettings({
      FEED: "coinbase", COINBASE_WS_URL: `${simUrl.replace(/^http/, "ws")}/coinbase`, BOOKS: "false", TRADES: "false",
      PUBLISH_HOLD_BYTES: "2048", PUBLISH_MAX_IN_FLIGHT: "1", STALE_MS: "30000",
    });
    const endpoints = venueEndpoints(s);
    const metrics = new Metrics();
    const rows = (await (await fetch(`${simUrl}/_sim/products?limit=1000`)).json()) as Array<{ coinbase: string }>;
    const products = rows.map((r) => r.coinbase);
    const shard = new ShardService({
      shardId: `overload-${Math.random().toString(36).slice(2, 6)}`,
      js: bus.js, nc: publishNc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock, metrics,
      settings: s, endpoints, products: { coinbase: products }, coinbaseGapCheck: false,
    });
    await shard.start();
    try {
      await waitFor("every product owned", () => shard.owned().length === products.length || undefined);
      const kv = bus.kv[BUCKET.shards]!;
      const before = (await kv.get(shard.id))!.revision;
      const minOwned: number[] = [];
      const stop = overload(shard, 0.5);
      const sampler = setInterval(() => minOwned.push(shard.owned().length), 100);
      await sleep(20_000);
      stop();
      clearInterval(sampler);
      const entry = await kv.get(shard.id);
      // A lost lease closes every upstream connection and drops every product at once.
      expect(Math.min(...minOwned)).toBe(products.length);
      expect(shard.membership.view().held).toBe(true);
      expect(entry?.operation).toBe("PUT");
      // 20 s at one renewal per 2.5 s: two leases' worth of renewals went through.
      expect(entry!.revision - before).toBeGreaterThanOrEqual(5);
      // The overload was real: frame turns ran over budget, sockets were held back.
      expect(counter(metrics, "ingest_frame_turn_pauses")).toBeGreaterThan(0);
      const dropped = counter(metrics, "ingest_hold_dropped_ticks_total");
      expect(dropped).toBeGreaterThan(0);
      // Once the overload is over the backlog drains and what was dropped during it is reported.
      const gaps = await waitFor("hold_overflow gaps", async () => {
        const g = (await readStored<unknown>(bus.js, bus.jsm, "md.gap.coinbase.>")).map((m) => GapEvent.parse(m.value)).filter((e) => e.reason === "hold_overflow");
        return g.reduce((n, e) => n + (e.droppedTicks ?? 0), 0) >= dropped ? g : undefined;
      }, 20_000, 250);
      expect(gaps.reduce((n, e) => n + (e.droppedTicks ?? 0), 0)).toBeLessThanOrEqual(counter(metrics, "ingest_hold_dropped_ticks_total"));
      // ...and ticks still flow.
      const acked = counter(metrics, "ingest_published_ticks_total");
      await sleep(1000);
      expect(counter(metrics, "ingest_published_ticks_total")).toBeGreaterThan(acked);
    } finally {
      await shard.stop();
    }
  }, 90_000);
});
