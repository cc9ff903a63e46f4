/**
 * Binance REST: GET /api/v3/depth (the snapshot half of the local order book
 * procedure, consistent with the @depth diff streams), /api/v3/ping, /api/v3/time.
 * Error bodies use Binance's {"code","msg"} shape.
 */
import type { ServerResponse } from "node:http";
import { intParam, sendJson } from "./http.ts";
import type { Universe } from "./universe.ts";

/** Handle a Binance REST path; false if the path is not one of ours. */
export function binanceRest(universe: Universe, path: string, q: URLSearchParams, res: ServerResponse): boolean {
  switch (path) {
    case "/api/v3/ping":
      sendJson(res, 200, {});
      return true;
    case "/api/v3/time":
      sendJson(res, 200, { serverTime: Date.now() });
      return true;
    case "/api/v3/depth": {
      const symbol = q.get("symbol");
      if (!symbol) {
        sendJson(res, 400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
        return true;
      }
      const p = universe.binance(symbol);
      if (!p || p.bnSymbol !== symbol) {
        sendJson(res, 400, { code: -1121, msg: "Invalid symbol." });
        return true;
      }
      const limit = intParam(q, "limit", 100);
      if (!(limit >= 1 && limit <= 5000)) {
        sendJson(res, 400, { code: -1100, msg: "Illegal characters found in parameter 'limit'; legal range is '1..5000'." });
        return true;
      }
      sendJson(res, 200, p.book.snapshot(limit));
      return true;
    }
    default:
      return false;
  }
}

export function binance429(res: ServerResponse, retryAfterS: number): void {
  sendJson(
    res,
    429,
    { code: -1003, msg: "Too many requests; current limit is exceeded. Please use WebSocket Streams for live updates to avoid polling the API." },
    { "retry-after": String(retryAfterS) },
  );
}
