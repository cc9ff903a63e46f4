import { describe, expect, it } from "vitest";
import { candlesUrl, lakeFetcher } from "./lake.ts";

describe("lake candles over HTTP", () => {
  it("candlesUrl() is /candles on the WebSocket's host, http for ws and https for wss", () => {
    expect(candlesUrl("ws://127.0.0.1:48080/ws")).toBe("http://127.0.0.1:48080/candles");
    expect(candlesUrl("wss://tickflow.example/ws?x=1")).toBe("https://tickflow.example/candles");
  });

  it("lakeFetcher() asks symbol, tf, limit and before, and rejects a non-2xx answer or a body without candles", async () => {
    const urls: string[] = [];
    const answers = [
      { ok: true, status: 200, body: { symbol: "BTC-USD", tf: "1h", candles: [{ start: 1 }] } },
      { ok: false, status: 429, body: { error: "busy" } },
      { ok: true, status: 200, body: { error: "what" } },
    ];
    const f = lakeFetcher("http://h/candles", async (u) => {
      urls.push(u);
      const a = answers.shift()!;
      return { ok: a.ok, status: a.status, json: async () => a.body };
    });
    expect(await f({ symbol: "BTC-USD", tf: "1h", limit: 24, before: 5 })).toEqual([{ start: 1 }]);
    await expect(f({ symbol: "BTC-USD", tf: "1m", limit: 1440 })).rejects.toThrow(/429/);
    await expect(f({ symbol: "BTC-USD", tf: "1m", limit: 1440 })).rejects.toThrow(/no candles array/);
    expect(urls).toEqual([
      "http://h/candles?symbol=BTC-USD&tf=1h&limit=24&before=5",
      "http://h/candles?symbol=BTC-USD&tf=1m&limit=1440",
      "http://h/candles?symbol=BTC-USD&tf=1m&limit=1440",
    ]);
  });
});
