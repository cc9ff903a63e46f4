import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CandleData, ServerFrame, TickerAllData } from "../../lib/contracts/protocol.ts";
import { FakeEdge } from "./fake-edge.ts";

let edge: FakeEdge;
beforeAll(async () => {
  edge = new FakeEdge({ symbols: 50, hz: 10 });
  await edge.start();
});
afterAll(async () => edge?.close());

/** Open a socket, send `msgs`, collect frames until `done` says so. */
function session(msgs: unknown[], done: (frames: ServerFrame[]) => boolean): Promise<ServerFrame[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${edge.port}/ws`);
    const frames: ServerFrame[] = [];
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`timed out with ${frames.length} frames`)); }, 10_000);
    ws.on("open", () => { for (const m of msgs) ws.send(JSON.stringify(m)); });
    ws.on("message", (raw) => {
      frames.push(ServerFrame.parse(JSON.parse(raw.toString())));
      if (done(frames)) { clearTimeout(timer); ws.close(); resolve(frames); }
    });
  });
}

describe("fake edge", () => {
  it("greets, sends a ticker.all snapshot then updates, all valid against the client protocol", async () => {
    const frames = await session([{ op: "subscribe", rooms: ["ticker.all"] }], (f) => f.filter((x) => x.type === "update").length >= 2);
    expect(frames[0]?.type).toBe("hello");
    expect(frames[1]).toMatchObject({ type: "snapshot", room: "ticker.all" });
    const data = TickerAllData.parse((frames[1] as { data: unknown }).data);
    expect(data.tickers).toHaveLength(50);
    const seqs = frames.filter((f) => f.type === "update").map((f) => (f as { seq: number }).seq);
    expect(seqs[1]).toBe(seqs[0]! + 1);
  });

  it("replays candle history with since 0 and records the subscription", async () => {
    const frames = await session(
      [{ op: "subscribe", rooms: ["candles.BTC-USD.1m"], since: { "candles.BTC-USD.1m": 0 } }],
      (f) => f.filter((x) => x.type === "update").length >= 100,
    );
    const candles = frames.filter((f) => f.type === "update").map((f) => CandleData.parse((f as { data: unknown }).data));
    expect(candles.every((c) => c.symbol === "BTC-USD")).toBe(true);
    expect(candles[1]!.start - candles[0]!.start).toBe(60_000);
    expect(edge.log.some((e) => e.op === "subscribe" && e.since?.["candles.BTC-USD.1m"] === 0)).toBe(true);
  });

  it("answers pings and rejects unknown rooms with an error frame", async () => {
    const frames = await session([{ op: "ping", id: 7 }, { op: "subscribe", rooms: ["nope"] }], (f) => f.length >= 3);
    expect(frames).toContainEqual(expect.objectContaining({ type: "pong", id: 7 }));
    expect(frames).toContainEqual(expect.objectContaining({ type: "error", code: "unknown_room" }));
  });
});
