/**
 * Chaos: kill -9 the nats-server while ticks flow, then restart it on the same port and
 * store. Two actor hosts (archiver + coalescer, ranker + coalescer) and two edges (uWS
 * and ws transports) run as real processes and must reconnect by themselves; the lake
 * must hold every tick of the MD stream exactly once; WebSocket clients must get live updates again, and their
 * stream room must have no hole (the clients recover with `since`, as dashboards do).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { waitForDrained } from "../../actors/archiver/testing.ts";
import { collectStatus } from "../../ops/cli/status.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { holesAndRepeats, RecoveringClient } from "./clients.ts";
import { compareLakeWithStream, RoomFeed, TickFeed } from "./feed.ts";
import { httpStatus, Procs, report, secs, sleep, waitUntil } from "./procs.ts";

const SYMBOLS = ["CHA-USD", "CHB-USD", "CHC-USD", "CHD-USD"];
// A stream room nobody else produces (the ranker makes candles only for symbols it sees ticks of).
const STREAM_ROOM = rooms.candles("CHAOS-ZZZ");
const TICKER = rooms.ticker("CHA-USD");
const OUTAGE_MS = 1500;
const LEASE_MS = 2000;

const procs = new Procs();
const clients: RecoveringClient[] = [];
let ns: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let dir: string;
let lake: string;
let edgePorts: number[];
let ticks: TickFeed | undefined;
let roomFeed: RoomFeed | undefined;

beforeAll(async () => {
  ns = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), "tf-chaos-nats-"));
  lake = join(dir, "lake");
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  const common = { NATS_URL: ns.url, LEASE_MS: String(LEASE_MS), LOG_LEVEL: "info" };
  const hostA = procs.spawnTs("host-a", "actors/main.ts", {
    ...common,
    HOST_ID: "chaos-a",
    ACTORS: "archiver,coalescer,stream-stats",
    ARCHIVE_URL: lake,
    ARCHIVE_CACHE_DIR: join(dir, "cache"),
    ARCHIVE_DATASETS: "ticks",
    ARCHIVE_FLUSH_INTERVAL: "300ms",
    ARCHIVE_ACK_WAIT: "5s",
    ARCHIVE_DUCKDB_THREADS: "1",
    ARCHIVE_DECODE_WORKERS: "0",
  });
  const hostB = procs.spawnTs("host-b", "actors/main.ts", { ...common, HOST_ID: "chaos-b", ACTORS: "ranker,coalescer" });
  // Two edges, one per transport (uWS and ws), each with its own clients.
  const edges = await Promise.all(["uws", "ws"].map(async (transport) => {
    const port = await freePort();
    const proc = procs.spawnTs(`edge-${transport}`, "edge/main.ts", {
      NATS_URL: ns.url,
      EDGE_PORT: String(port),
      EDGE_HOST: "127.0.0.1",
      EDGE_WORKERS: "1",
      EDGE_TRANSPORT: transport,
      EDGE_ID: `chaos-edge-${transport}`,
      UI_DIST: "/nonexistent",
    });
    return { proc, port };
  }));
  edgePorts = edges.map((e) => e.port);
  await Promise.all([hostA.waitFor("ready with actors", 60_000), hostB.waitFor("ready with actors", 60_000)]);
  for (const e of edges) {
    await waitUntil("the edge healthy", async () => {
      if (!e.proc.running) throw new Error(`the edge exited:\n${e.proc.tail()}`);
      return (await httpStatus(`http://127.0.0.1:${e.port}/healthz`)) === 200;
    }, 60_000, 100);
  }
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await ticks?.stop();
  await roomFeed?.stop();
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await ns?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("chaos: the nats-server is killed with -9 while ticks flow", () => {
  it("actor hosts and edges reconnect by themselves, the lake holds every stored tick exactly once, and clients see live updates again without a hole", async () => {
    for (const port of edgePorts) {
      for (let i = 0; i < 3; i++) clients.push(new RecoveringClient([`ws://127.0.0.1:${port}/ws`], [TICKER, STREAM_ROOM]));
    }
    await waitUntil("clients connected", () => clients.every((c) => c.connections === 1), 15_000);
    const healthy = async (code: number) => (await Promise.all(edgePorts.map((p) => httpStatus(`http://127.0.0.1:${p}/healthz`)))).every((s) => s === code);

    // Ticks flowing end to end (coalescer → edge → clients) before the fault.
    const tickerMsgs: Array<{ at: number; exchTs: number }> = [];
    nc.subscribe(subjects.room("ticker.>"), {
      callback: (_e, m) => {
        try {
          tickerMsgs.push({ at: Date.now(), exchTs: (m.json<{ data: { exchTs: number } }>()).data.exchTs });
        } catch { /* not ours */ }
      },
    });
    ticks = new TickFeed(js, SYMBOLS, { everyMs: 50, perBatch: 2 });
    roomFeed = new RoomFeed(js, STREAM_ROOM, 100);
    await waitUntil("ticker updates at every client", () => clients.every((c) => c.last(TICKER) > 0), 30_000);
    await waitUntil("stream-room updates at every client", () => clients.every((c) => c.last(STREAM_ROOM) >= 5), 15_000);
    await sleep(1000);

    // kill -9, a short outage, restart on the same port and store.
    const killedAt = Date.now();
    await ns.kill();
    const downHealth = await waitUntil("the edges to notice", () => healthy(503), 10_000, 50).then(() => true, () => false);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - killedAt)));
    await ns.restart();
    const restartedAt = Date.now();

    const edgeBackAt = await waitUntil("the edges healthy again", async () => ((await healthy(200)) ? Date.now() : undefined), 30_000, 50);
    const hostsBackAt = await waitUntil("both hosts answering ops status", async () => {
      if (nc.isClosed()) return undefined;
      const st = await collectStatus(nc, 500).catch(() => []);
      return st.filter((s) => !("error" in s)).length === 2 ? Date.now() : undefined;
    }, 30_000, 100);
    const coalescedAt = await waitUntil("a ticker update of a tick published after the restart", () =>
      tickerMsgs.find((m) => m.exchTs >= restartedAt)?.at, 30_000, 50);
    const clientsLiveAt = await waitUntil("every client live on the ticker again", () =>
      clients.every((c) => ((c.lastData(TICKER) as { exchTs?: number } | undefined)?.exchTs ?? 0) >= restartedAt) ? Date.now() : undefined, 30_000, 50);

    // Still live three lease periods later (leases lost during the outage are re-acquired, not just left to lapse).
    const settledAfter = restartedAt + 3 * LEASE_MS;
    await waitUntil("ticker updates three lease periods after the restart", () => tickerMsgs.some((m) => m.exchTs >= settledAfter), 30_000, 50);
    await waitUntil("every client live on the ticker three lease periods after the restart", () =>
      clients.every((c) => ((c.lastData(TICKER) as { exchTs?: number } | undefined)?.exchTs ?? 0) >= settledAfter), 20_000, 50);

    // When did coalescing come back for good? The longest silence of ticker rooms after the
    // restart, and when the last silence over 1 s ended (leases lost in the outage are re-won).
    const after = tickerMsgs.filter((m) => m.at >= restartedAt && m.at <= settledAfter + 1000).map((m) => m.at);
    let longestSilence = 0;
    let steadyAt = after[0] ?? restartedAt;
    for (let i = 0, prev = restartedAt; i < after.length; prev = after[i]!, i++) {
      const silence = after[i]! - prev;
      longestSilence = Math.max(longestSilence, silence);
      if (silence > 1000) steadyAt = after[i]!;
    }

    // Then stop publishing and let the archiver drain.
    const roomTarget = roomFeed.acked + 10;
    await waitUntil("more room updates stored", () => roomFeed!.acked >= roomTarget, 20_000);
    await ticks.stop();
    await roomFeed.stop();
    await waitUntil("every client at the last stream-room seq", () => clients.every((c) => c.last(STREAM_ROOM) >= roomFeed!.acked), 20_000);
    await waitForDrained(jsm, ["archiver-ticks"], 40_000);
    const lakeCheck = await compareLakeWithStream(js, lake);

    // Every acknowledged tick is in the stream; every stream tick is in the lake once.
    const unstoredAcked = [...ticks.acked].filter((k) => !lakeCheck.streamKeys.has(k)).length;
    expect(unstoredAcked).toBe(0);
    expect(lakeCheck.stream).toBeGreaterThan(0);
    expect(lakeCheck.lost).toBe(0);
    expect(lakeCheck.duplicates, JSON.stringify(lakeCheck.duplicateRows, (_k, v) => (typeof v === "bigint" ? Number(v) : v))).toBe(0);
    expect(lakeCheck.extra).toBe(0);
    // Clients: the stream room is exactly 1..N, live again on the ticker, nothing dropped the socket.
    for (const c of clients) {
      const acc = c.accepted(STREAM_ROOM);
      expect(holesAndRepeats(acc)).toEqual({ holes: 0, repeats: 0 });
      expect(acc.at(-1)).toBe(roomFeed.acked);
    }
    expect(downHealth).toBe(true);
    for (const p of procs.all) expect(p.running, `${p.name} still running`).toBe(true);
    const gapsRecovered = clients.reduce((a, c) => a + c.gapsRecovered, 0);
    const resyncs = clients.reduce((a, c) => a + c.resyncs, 0);
    const reconnects = clients.reduce((a, c) => a + c.closes.length, 0);
    report(
      `nats kill -9 (outage ${secs(restartedAt - killedAt)}) → actors back in ${secs(Math.max(hostsBackAt, steadyAt) - restartedAt)} ` +
        `(status ${secs(hostsBackAt - restartedAt)}, first coalesced tick ${secs(coalescedAt - restartedAt)}, coalescing steady from ${secs(steadyAt - restartedAt)}, ` +
        `longest ticker silence ${secs(longestSilence)}), edges back in ${secs(edgeBackAt - restartedAt)}, ` +
        `clients live in ${secs(clientsLiveAt - restartedAt)} (${gapsRecovered} gaps recovered with since, ${resyncs} resyncs, ${reconnects} reconnects), ` +
        `ticks in stream ${lakeCheck.stream} (acked ${ticks.acked.size}, unacked during outage ${ticks.failed}), ticks lost ${lakeCheck.lost}, duplicates ${lakeCheck.duplicates}`,
    );
  }, 90_000);
});
