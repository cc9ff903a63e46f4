/**
 * The lake's candles over HTTP (`GET /candles` on the edge, edge/http/candles.ts), for
 * chart history beyond ROOMLOG. The edge that serves the WebSocket serves it too, so
 * the URL is derived from the WebSocket URL (same origin unless `?ws=` points elsewhere).
 */
import type { CandleData } from "../../../lib/contracts/protocol.ts";

/** A lake request: candles of `symbol` at `tf` starting before `before` (default: up to now), at most `limit`. */
export interface LakeCandleRequest {
  symbol: string;
  tf: string;
  limit: number;
  before?: number;
}

/** `ws(s)://host[:port]/ws` → `http(s)://host[:port]/candles`. */
export function candlesUrl(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  u.pathname = "/candles";
  u.search = "";
  u.hash = "";
  return u.toString();
}

type FetchLike = (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** A `fetchLake` for the dashboard: rejects on a non-2xx answer or a body without a `candles` array. */
export function lakeFetcher(url: string, fetchFn: FetchLike): (q: LakeCandleRequest) => Promise<CandleData[]> {
  return async (q) => {
    const p = new URLSearchParams({ symbol: q.symbol, tf: q.tf, limit: String(q.limit) });
    if (q.before !== undefined) p.set("before", String(q.before));
    const res = await fetchFn(`${url}?${p}`);
    if (!res.ok) throw new Error(`GET /candles: ${res.status}`);
    const body = (await res.json()) as { candles?: unknown };
    if (!Array.isArray(body?.candles)) throw new Error("GET /candles: no candles array");
    return body.candles as CandleData[];
  };
}
