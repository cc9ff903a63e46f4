import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CandleData } from "../../lib/contracts/protocol.ts";
import { lakeCandles } from "../../lib/lake/candles.ts";
import { type LakeTradeRow, writeLake } from "../../test/lake-files.ts";
import type { SocketHandlers, Transport } from "../core/transport.ts";
import { startWsTransport } from "../transport/ws.ts";
import { candlesRoute, MAX_QUERIES } from "./candles.ts";
import { routes } from "./routes.ts";
import { StaticFiles } from "./static.ts";

const M = 60_000;
const T0 = Date.UTC(2026, 11, 3, 5, 0, 0);
/** The edge's clock: two hours after the fixture's last trade. */
const NOW = T0 + 3 * 3_600_000;

const drain = async (s: AsyncIterable<string>) => {
  let out = "";
  for await (const c of s) out += c;
  return out;
};

describe("GET /candles (real DuckDB over a Parquet lake, served through the ws transport)", () => {
  let dir: string;
  let lake: string;
  let transport: Transport;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-edge-candles-"));
    lake = join(dir, "lake");
    const trades: LakeTradeRow[] = [];
    let seq = 0;
    // BTC-USD: a trade every 10 s from 04:30 to 05:30 (across the hour boundary).
    for (let ts = T0 - 30 * M; ts < T0 + 30 * M; ts += 10_000) trades.push({ symbol: "BTC-USD", venue: "binance", ts, price: 90_000 + (seq % 17), size: 0.5, seq: ++seq });
    await writeLake(lake, [], trades);
    const files = new StaticFiles(join(dir, "no-ui"));
    const handlers = { accepting: () => false, admit: () => ({ ok: false, status: 503 }), abandon: () => {} } as unknown as SocketHandlers<unknown>;
    transport = await startWsTransport({
      host: "127.0.0.1", port: 0, hardMaxPayload: 1 << 16, maxBackpressure: 1 << 20, idleTimeoutMs: 10_000, wsPath: "/ws", sockets: handlers,
      http: routes({ health: () => ({ ok: true, body: {} }), metrics: () => "", files, candles: candlesRoute(lake, () => NOW) }),
    });
    base = `http://127.0.0.1:${transport.port}`;
  }, 30_000);
  afterAll(async () => {
    await transport?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers the lake's candles of a symbol and timeframe, oldest first, as {symbol, tf, candles}", async () => {
    const res = await fetch(`${base}/candles?symbol=BTC-USD&tf=1m&limit=1440`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    const body = (await res.json()) as { symbol: string; tf: string; candles: unknown[] };
    expect(body.symbol).toBe("BTC-USD");
    expect(body.tf).toBe("1m");
    const candles = body.candles.map((c) => CandleData.parse(c));
    expect(candles.map((c) => c.start)).toEqual(Array.from({ length: 60 }, (_, i) => T0 - 30 * M + i * M));
    expect(candles.every((c) => c.trades === 6 && c.volume === 3 && c.source === "trades")).toBe(true);
    // The newest archived trade is at 05:29:50: the 05:29 minute may still be filling.
    expect(candles.map((c) => c.final)).toEqual([...Array(59).fill(true), false]);
    expect(candles).toEqual(await lakeCandles(lake, { symbol: "BTC-USD", tf: "1m", limit: 1440 }, NOW));
  });

  it("pages back with before (epoch ms or ISO) and aggregates other timeframes", async () => {
    const page = (await (await fetch(`${base}/candles?symbol=BTC-USD&limit=10&before=${T0}`)).json()) as { candles: CandleData[] };
    expect(page.candles.map((c) => c.start)).toEqual(Array.from({ length: 10 }, (_, i) => T0 - 10 * M + i * M));
    const iso = (await (await fetch(`${base}/candles?symbol=BTC-USD&limit=10&before=${new Date(T0).toISOString()}`)).json()) as { candles: CandleData[] };
    expect(iso.candles).toEqual(page.candles);
    const hours = (await (await fetch(`${base}/candles?symbol=BTC-USD&tf=1h&limit=24`)).json()) as { tf: string; candles: CandleData[] };
    expect(hours.tf).toBe("1h");
    expect(hours.candles.map((c) => [c.start, c.trades, c.volume])).toEqual([[T0 - 3_600_000, 180, 90], [T0, 180, 90]]);
    const other = (await (await fetch(`${base}/candles?symbol=ETH-USD`)).json()) as { candles: CandleData[] };
    expect(other.candles).toEqual([]);
  });

  it("answers 400 with the reason for a bad query", async () => {
    for (const [q, why] of [
      ["", /not a symbol name/],
      ["symbol=BTC/USD", /not a symbol name/],
      ["symbol=BTC-USD&tf=2m", /tf must be one of/],
      ["symbol=BTC-USD&limit=5000", /limit must be an integer 1..1500/],
      ["symbol=BTC-USD&limit=-1", /limit must be an integer/],
      ["symbol=BTC-USD&before=yesterday", /before must be an ISO time or epoch ms/],
    ] as const) {
      const res = await fetch(`${base}/candles?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error, q).toMatch(why);
    }
  });

  it(`runs at most ${MAX_QUERIES} queries at once (429 beyond) and frees a slot when the client goes away before the answer`, async () => {
    const route = candlesRoute(lake, () => NOW);
    const held = Array.from({ length: MAX_QUERIES }, () => route("symbol=BTC-USD", "GET"));
    expect(held.map((r) => r.status)).toEqual(Array(MAX_QUERIES).fill(200));
    const over = route("symbol=BTC-USD", "GET");
    expect(over.status).toBe(429);
    expect(String(over.body)).toMatch(/at most 2 candle queries/);
    // One reader goes away before the first chunk, the other reads to the end: both slots come back.
    await held[0]!.stream![Symbol.asyncIterator]().return!();
    expect(JSON.parse(await drain(held[1]!.stream!)).candles).toHaveLength(60);
    const again = Array.from({ length: MAX_QUERIES }, () => route("symbol=BTC-USD", "GET"));
    expect(again.map((r) => r.status)).toEqual(Array(MAX_QUERIES).fill(200));
    for (const r of again) await drain(r.stream!);
    expect(route("symbol=BTC-USD", "HEAD")).toMatchObject({ status: 200, body: "" });
  });
});
