import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { TickerData } from "../../lib/contracts/protocol.ts";
import { RoomEnvelope } from "../../lib/contracts/rooms.ts";
import { replayFiles, replayNdjson } from "../../lib/lake/replay.ts";
import { T0 } from "../../actors/archiver/testing.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { type ArchivedLake, archiveTicks, expectedWindows, windowsOf } from "../../test/archived-lake.ts";
import { replayCommand } from "./mod.ts";

// 1,800 ticks over one minute that crosses the 05:00 → 06:00 hour boundary; each message
// is three consecutive ticks of one symbol, so a 100 ms window holds several ticks of a
// symbol and the replay must keep only the last one, as the coalescer does.
const FROM = T0 - 30_000;
const TO = T0 + 30_000;
const SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD"];

describe("replay from an archived lake (real nats-server, archiver and DuckDB)", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let dir: string;
  let archived: ArchivedLake;
  let edge: EdgeHandle;
  let uwsEdge: EdgeHandle;

  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    dir = await mkdtemp(join(tmpdir(), "tf-replay-"));
    archived = await archiveTicks(nc, ns.url, dir, { symbols: SYMBOLS, messages: 600, perMessage: 3, start: FROM, spanMs: TO - FROM });
    const env = { NATS_URL: ns.url, EDGE_HOST: "127.0.0.1", EDGE_PORT: "0", EDGE_LAKE_DIR: archived.lake };
    edge = await startEdge({ env: { ...env, EDGE_TRANSPORT: "ws" } });
    uwsEdge = await startEdge({ env: { ...env, EDGE_TRANSPORT: "uws" } });
  }, 120_000);
  afterAll(async () => {
    await edge?.stop(100);
    await uwsEdge?.stop(100);
    await nc?.close();
    await ns?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("replayFiles opens only the hour partitions the range touches", async () => {
    const both = await replayFiles(archived.lake, { from: new Date(FROM), to: new Date(TO) });
    const six = await replayFiles(archived.lake, { from: new Date(T0), to: new Date(TO) });
    expect(both.some((f) => f.includes("/hour=5/"))).toBe(true);
    expect(six.length).toBeGreaterThan(0);
    expect(six.length).toBeLessThan(both.length);
    expect(six.every((f) => f.includes("/hour=6/"))).toBe(true);
  });

  it.each(["ws", "uws"])("GET /replay (%s transport) streams one ticker.all update per 100 ms window: the last tick of each symbol, as published", async (t) => {
    const port = t === "ws" ? edge.port : uwsEdge.port;
    if (t === "uws") expect(uwsEdge.build).not.toBe("ws");
    const res = await fetch(`http://127.0.0.1:${port}/replay?from=${new Date(FROM).toISOString()}&to=${TO}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text()).trimEnd().split("\n").map((l) => RoomEnvelope.parse(JSON.parse(l)));
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.every((l) => l.type === "update" && l.room === "ticker.all")).toBe(true);
    const got = windowsOf(lines.map((l) => ({ end: l.ts, tickers: (l.data as { tickers: TickerData[] }).tickers })));
    expect(got).toEqual(expectedWindows(archived.ticks, FROM, TO, 100));
    expect(got.length).toBeGreaterThan(500);
  });

  it("GET /replay filters by symbol and range, and answers 400 for a bad query", async () => {
    const from = T0 - 5000;
    const to = T0 + 5000;
    const res = await fetch(`http://127.0.0.1:${edge.port}/replay?from=${from}&to=${to}&symbols=ETH-USD`);
    const lines = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l) as { ts: number; data: { tickers: TickerData[] } });
    expect(windowsOf(lines.map((l) => ({ end: l.ts, tickers: l.data.tickers })))).toEqual(expectedWindows(archived.ticks, from, to, 100, ["ETH-USD"]));
    const reversed = await fetch(`http://127.0.0.1:${edge.port}/replay?from=${to}&to=${from}`);
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toEqual({ error: expect.stringMatching(/must be after from/) });
    expect((await fetch(`http://127.0.0.1:${edge.port}/replay?to=${to}`)).status).toBe(400);
  });

  it("tickflow replay publishes the windows paced to replay.<id>.ticker.*, in the live wire format", async () => {
    const frames = new Map<string, Array<{ seq: number; ts: number; data: unknown }>>();
    const sub = nc.subscribe("room.replay.t1.>", {
      callback: (_e, m) => {
        const env = RoomEnvelope.parse(m.json());
        expect(`room.${env.room}`).toBe(m.subject);
        const l = frames.get(env.room) ?? [];
        l.push(env);
        frames.set(env.room, l);
      },
    });
    let out = "";
    const started = Date.now();
    // 60 s of lake time at ×30 in 200 ms intervals: 6 s of lake per interval, ~2 s of wall time.
    const code = await replayCommand(
      ["--from", new Date(FROM).toISOString(), "--to", new Date(TO).toISOString(), "--speed", "30", "--interval", "200ms", "--id", "t1"],
      { out: (t) => (out += t + "\n"), err: (t) => (out += t + "\n"), env: { ARCHIVE_URL: archived.lake }, withNats: (fn) => fn(nc) },
    );
    const wall = Date.now() - started;
    await nc.flush();
    sub.unsubscribe();
    expect(code, out).toBe(0);
    expect(out).toMatch(/replay t1 done: 10 intervals, 30 ticker updates, 3 symbols/);
    expect(wall).toBeGreaterThanOrEqual(1700); // paced: the last window is due 2 s after the first would be
    const all = frames.get("replay.t1.ticker.all")!;
    expect(all.map((f) => f.seq)).toEqual(all.map((_, i) => i + 1));
    const got = windowsOf(all.map((f, i) => ({ end: FROM + (i + 1) * 6000, tickers: (f.data as { tickers: TickerData[] }).tickers })));
    expect(got).toEqual(expectedWindows(archived.ticks, FROM, TO, 6000));
    for (const s of SYMBOLS) {
      const per = frames.get(`replay.t1.ticker.${s}`)!;
      expect(per.map((f) => f.seq)).toEqual(per.map((_, i) => i + 1));
      expect((per.at(-1)!.data as TickerData).price).toBe(archived.ticks.filter((t) => t.symbol === s).at(-1)!.price);
    }
  });

  it("tickflow replay refuses a bad id or range with exit code 2, naming the option", async () => {
    let err = "";
    const io = { out: () => {}, err: (t: string) => (err += t), env: { ARCHIVE_URL: archived.lake }, withNats: (fn: (n: NatsConnection) => Promise<never>) => fn(nc) };
    expect(await replayCommand(["--from", "2025-11-22", "--to", "2025-11-23", "--id", "Bad.Id"], io)).toBe(2);
    expect(err).toMatch(/--id must match/);
    expect(await replayCommand(["--from", "2025-11-23", "--to", "2025-11-22"], io)).toBe(2);
    expect(err).toMatch(/must be after from/);
  });

  it("replayNdjson of an hour without files yields nothing", async () => {
    const lines = [];
    for await (const l of replayNdjson(archived.lake, { from: new Date(T0 + 3 * 3_600_000), to: new Date(T0 + 4 * 3_600_000) })) lines.push(l);
    expect(lines).toEqual([]);
  });
});
