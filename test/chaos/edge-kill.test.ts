/**
 * Chaos: kill -9 one of two edge processes while a stream room (alerts) and a snapshot
 * room (a ticker) are fed through JetStream. Its clients reconnect to the other edge
 * with `since` and must recover exactly: no seq hole, no repeat, no resync; the other
 * edge's clients see nothing at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { rooms } from "../../lib/contracts/subjects.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { holesAndRepeats, RecoveringClient } from "./clients.ts";
import { RoomFeed } from "./feed.ts";
import { httpStatus, type Proc, Procs, report, secs, sleep, waitUntil } from "./procs.ts";

const ALERTS = rooms.alerts;
const TICKER = rooms.ticker("EDGE-USD");
const CLIENTS_PER_EDGE = 10;

const procs = new Procs();
const clients: RecoveringClient[] = [];
let ns: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
const feeds: RoomFeed[] = [];

async function startEdge(id: string): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = procs.spawnTs(id, "edge/main.ts", {
    NATS_URL: ns.url,
    EDGE_PORT: String(port),
    EDGE_HOST: "127.0.0.1",
    EDGE_WORKERS: "1",
    EDGE_ID: id,
    UI_DIST: "/nonexistent",
  });
  await waitUntil(`${id} healthy`, async () => {
    if (!proc.running) throw new Error(`${id} exited:\n${proc.tail()}`);
    return (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200;
  }, 60_000, 100);
  return { proc, url: `ws://127.0.0.1:${port}/ws` };
}

let a: { proc: Proc; url: string };
let b: { proc: Proc; url: string };

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  js = jetstream(nc);
  await ensureStreams(await jetstreamManager(nc));
  [a, b] = await Promise.all([startEdge("chaos-edge-a"), startEdge("chaos-edge-b")]);
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const f of feeds) await f.stop();
  await procs.cleanup();
  await nc?.close().catch(() => {});
  await ns?.cleanup();
});

describe("chaos: an edge process is killed with -9", () => {
  it("its clients reconnect to the other edge with since and miss no stream-room message", async () => {
    const onA = Array.from({ length: CLIENTS_PER_EDGE }, () => new RecoveringClient([a.url, b.url], [ALERTS, TICKER]));
    const onB = Array.from({ length: CLIENTS_PER_EDGE }, () => new RecoveringClient([b.url, a.url], [ALERTS, TICKER]));
    clients.push(...onA, ...onB);
    await waitUntil("every client connected", () => clients.every((c) => c.connections === 1), 15_000);
    await sleep(200); // subscribes land before the first message
    const alerts = new RoomFeed(js, ALERTS, 40);
    const ticker = new RoomFeed(js, TICKER, 100);
    feeds.push(alerts, ticker);
    await waitUntil("alerts flowing to every client", () => clients.every((c) => c.last(ALERTS) >= 10 && c.last(TICKER) >= 2), 20_000);

    const killedAt = Date.now();
    const seqAtKill = alerts.acked;
    await a.proc.kill9();
    // Every client of A is back on B (hello), then caught up with what was published meanwhile.
    const reconnectedAt = await waitUntil("A's clients connected to B", () =>
      onA.every((c) => c.connections === 2 && c.server.startsWith("chaos-edge-b")) ? Date.now() : undefined, 20_000, 20);
    const target = alerts.acked;
    const caughtUpAt = await waitUntil("A's clients caught up", () => onA.every((c) => c.last(ALERTS) >= target) ? Date.now() : undefined, 20_000, 20);
    const tickerBackAt = await waitUntil("A's clients on the ticker again", () => onA.every((c) => c.lastAt(TICKER) > reconnectedAt - 50) ? Date.now() : undefined, 20_000, 20);

    await sleep(1000);
    await alerts.stop();
    await ticker.stop();
    await waitUntil("every client at the last alert", () => clients.every((c) => c.last(ALERTS) === alerts.acked), 20_000);

    // Counted raw, before the client's own de-duplication, against the producer's last seq.
    const audits = clients.map((c) => c.audit({ [ALERTS]: alerts.acked }, 60_000));
    const duplicates = audits.reduce((n, a) => n + a.duplicates, 0);
    const lost = audits.reduce((n, a) => n + a.lost, 0);
    expect({ duplicates, lost }).toEqual({ duplicates: 0, lost: 0 });
    for (const c of clients) {
      const acc = c.accepted(ALERTS);
      expect(holesAndRepeats(acc)).toEqual({ holes: 0, repeats: 0 });
      expect(acc[0]).toBe(1);
      expect(acc.at(-1)).toBe(alerts.acked);
      expect(c.resyncs).toBe(0);
    }
    for (const c of onA) expect(c.closes.map((x) => x.code)).toEqual([1006]);
    for (const c of onB) expect(c.closes).toEqual([]);
    expect(b.proc.running).toBe(true);
    const missedDuringMove = target - seqAtKill;
    expect(missedDuringMove).toBeGreaterThan(0);
    // B really replayed them from the room log (not only live messages).
    const metrics = await (await fetch(b.url.replace("ws://", "http://").replace("/ws", "/metrics"))).text();
    const replayed = Number(/^edge_replayed_messages_total\S* (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(replayed).toBeGreaterThan(0);
    const repeats = onA.reduce((s, c) => s + c.repeats, 0);
    report(
      `edge kill -9 → ${onA.length} clients reconnected to the other edge in ${secs(reconnectedAt - killedAt)}, ` +
        `caught up (${missedDuringMove} alerts published meanwhile, ${replayed} replayed by the other edge with since) in ${secs(caughtUpAt - killedAt)}, ` +
        `ticker live in ${secs(tickerBackAt - killedAt)}; alerts 1..${alerts.acked} at all ${clients.length} clients, lost ${lost}, raw duplicates ${duplicates}, resyncs 0 (repeat frames ignored ${repeats})`,
    );
  }, 90_000);
});
