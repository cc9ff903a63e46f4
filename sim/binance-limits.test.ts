import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "./mod.ts";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 1, symbols: 5, tickRate: 10, binanceWsConnLimit: 2, binanceWsConnWindowMs: 3000, binanceBanMs: 5000 });
});
afterAll(async () => {
  await sim.close();
});

/** One handshake: "open", or the refusal's status, Retry-After and body. */
function handshake(url: string): Promise<{ status: number; retryAfter?: string; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string, body }));
    });
    ws.once("error", (e) => (String(e).includes("Unexpected server response") ? undefined : reject(e)));
  });
}

describe("Binance WebSocket connection limit (simulator)", () => {
  it("refuses handshakes past the limit with 429 + Retry-After and bans (418) an IP that retries sooner", async () => {
    const url = `${sim.urls.binanceWs}?streams=btcusdt@ticker`;
    expect((await handshake(url)).status).toBe(101);
    expect((await handshake(url)).status).toBe(101);
    const r429 = await handshake(url);
    expect(r429.status).toBe(429);
    expect(Number(r429.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(r429.body!)).toMatchObject({ code: -1003 });
    const r418 = await handshake(url);
    expect(r418).toMatchObject({ status: 418, retryAfter: "5" });
    expect((await handshake(`${sim.urls.binanceWs}?streams=ethusdt@ticker`)).status).toBe(418);
    // USD-M futures is another host: its own count.
    expect((await handshake(`${sim.urls.binanceUsdmWs}/stream?streams=btcusdt@ticker`)).status).toBe(101);
    const st = (sim.stats() as { binanceConnections: { spot: Record<string, number> } }).binanceConnections.spot;
    expect(st).toMatchObject({ refused: 1, banned: 1, attemptsBeforeRetryAfter: 1, attemptsDuringBan: 1 });
  });
});
