/**
 * Binance REST, Spot (/api/v3/...) and USD-M futures (/fapi/v1/...): depth (the
 * snapshot half of the local order book procedure, consistent with the @depth diff
 * streams of the same flavour), exchangeInfo (symbols with baseAsset/quoteAsset),
 * ping, time. Error bodies use Binance's {"code","msg"} shape.
 *
 * Sources: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Order-Book,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information
 */
import type { ServerResponse } from "node:http";
import { intParam, sendJson } from "./http.ts";
import type { Product, Universe } from "./universe.ts";

/** GET /fapi/v1/depth accepts only these limits (default 500). */
const FUTURES_LIMITS = new Set([5, 10, 20, 50, 100, 500, 1000]);

/** Request weight of a REST call, as Binance counts it against X-MBX-USED-WEIGHT-1M. */
export function restWeight(path: string, q: URLSearchParams): number {
  if (path === "/api/v3/depth") {
    const l = intParam(q, "limit", 100);
    return l <= 100 ? 5 : l <= 500 ? 25 : l <= 1000 ? 50 : 250;
  }
  if (path === "/fapi/v1/depth") {
    const l = intParam(q, "limit", 500);
    return l <= 50 ? 2 : l <= 100 ? 5 : l <= 500 ? 10 : 20;
  }
  if (path === "/api/v3/exchangeInfo") return 20;
  return 1;
}

/** Handle a Binance REST path; false if the path is not one of ours. */
export function binanceRest(universe: Universe, path: string, q: URLSearchParams, res: ServerResponse, headers: Record<string, string> = {}): boolean {
  switch (path) {
    case "/api/v3/ping":
    case "/fapi/v1/ping":
      sendJson(res, 200, {}, headers);
      return true;
    case "/api/v3/time":
    case "/fapi/v1/time":
      sendJson(res, 200, { serverTime: Date.now() }, headers);
      return true;
    case "/api/v3/exchangeInfo":
      sendJson(res, 200, exchangeInfo(universe, false), headers);
      return true;
    case "/fapi/v1/exchangeInfo":
      sendJson(res, 200, exchangeInfo(universe, true), headers);
      return true;
    case "/fapi/v1/depth": {
      const p = symbolOf(universe, q, res);
      if (!p) return true;
      const limit = intParam(q, "limit", 500);
      if (!FUTURES_LIMITS.has(limit)) {
        sendJson(res, 400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." }, headers);
        return true;
      }
      const now = Date.now();
      const { lastUpdateId, bids, asks } = p.futBook.snapshot(limit);
      sendJson(res, 200, { lastUpdateId, E: now, T: now - 1, bids, asks }, headers);
      return true;
    }
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
      sendJson(res, 200, p.book.snapshot(limit), headers);
      return true;
    }
    default:
      return false;
  }
}

function symbolOf(universe: Universe, q: URLSearchParams, res: ServerResponse): Product | undefined {
  const symbol = q.get("symbol");
  if (!symbol) {
    sendJson(res, 400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
    return undefined;
  }
  const p = universe.binance(symbol);
  if (!p || p.bnSymbol !== symbol) {
    sendJson(res, 400, { code: -1121, msg: "Invalid symbol." });
    return undefined;
  }
  return p;
}

/** exchangeInfo with the fields the docs list first (rate limits, then one entry per symbol). */
function exchangeInfo(universe: Universe, futures: boolean): Record<string, unknown> {
  const rateLimits = futures
    ? [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 },
      { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 1200 },
    ]
    : [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
    ];
  const symbols = universe.products.filter((p) => p.listed).map((p) =>
    futures
      ? { symbol: p.bnSymbol, pair: p.bnSymbol, contractType: "PERPETUAL", status: "TRADING", baseAsset: p.base, quoteAsset: "USDT", marginAsset: "USDT", pricePrecision: p.dec, quantityPrecision: p.qtyDec }
      : { symbol: p.bnSymbol, status: "TRADING", baseAsset: p.base, baseAssetPrecision: 8, quoteAsset: "USDT", quotePrecision: 8, quoteAssetPrecision: 8 }
  );
  return { timezone: "UTC", serverTime: Date.now(), ...(futures ? { futuresType: "U_MARGINED" } : {}), rateLimits, exchangeFilters: [], symbols };
}

export { binance429 } from "./binance-limits.ts";
