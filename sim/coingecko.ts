/**
 * CoinGecko REST: GET /api/v3/coins/markets and /api/v3/simple/price, shaped like
 * coingecko_*.json, behind a calls-per-minute limit. Over the limit the answer is 429,
 * alternately with Retry-After and a JSON body, and without Retry-After with an HTML
 * page, as the real API does behind its CDN: clients must parse defensively.
 */
import type { ServerResponse } from "node:http";
import { intParam, sendJson, sendText } from "./http.ts";
import type { KlineHistory } from "./klines.ts";
import type { Product, Universe } from "./universe.ts";

/** Sliding one-minute window of accepted calls. */
export class MinuteWindow {
  private readonly times: number[] = [];
  constructor(public rpm: number) {}

  /** Record a call at `now`; returns 0 if allowed, else the seconds until one is. */
  take(now: number): number {
    while (this.times.length > 0 && now - this.times[0]! >= 60_000) this.times.shift();
    if (this.times.length >= this.rpm) return Math.max(1, Math.ceil((this.times[0]! + 60_000 - now) / 1000));
    this.times.push(now);
    return 0;
  }
}

const ORDERS: Record<string, (a: Product, b: Product) => number> = {
  market_cap_desc: (a, b) => b.marketCap - a.marketCap,
  market_cap_asc: (a, b) => a.marketCap - b.marketCap,
  volume_desc: (a, b) => b.quoteVol24 - a.quoteVol24,
  volume_asc: (a, b) => a.quoteVol24 - b.quoteVol24,
  id_asc: (a, b) => (a.cgId < b.cgId ? -1 : 1),
  id_desc: (a, b) => (a.cgId < b.cgId ? 1 : -1),
};

/** Ten significant digits: what CoinGecko prints, without float noise like 0.30000000000000004. */
const num = (x: number) => Number(x.toPrecision(10));

export class CoinGecko {
  private throttledCount = 0;
  constructor(
    private readonly universe: Universe,
    readonly window: MinuteWindow,
    /** Price history behind `sparkline=true` (the same one the klines endpoints serve). */
    private readonly history?: KlineHistory,
  ) {}

  /** Handle a CoinGecko path (already stripped to /api/v3/...); false if not ours. */
  handle(path: string, q: URLSearchParams, res: ServerResponse): boolean {
    if (path === "/api/v3/coins/markets") this.markets(q, res);
    else if (path === "/api/v3/simple/price") this.simplePrice(q, res);
    else if (path === "/api/v3/ping") sendJson(res, 200, { gecko_says: "(V3) To the Moon!" });
    else return false;
    return true;
  }

  /** Answer 429, alternating the JSON + Retry-After form and the bare HTML form. */
  throttle(res: ServerResponse, retryAfterS: number): void {
    if (this.throttledCount++ % 2 === 0) {
      sendJson(
        res,
        429,
        { status: { error_code: 429, error_message: "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits." } },
        { "retry-after": String(retryAfterS) },
      );
    } else {
      sendText(
        res,
        429,
        "text/html; charset=UTF-8",
        "<!DOCTYPE html>\n<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1>" +
          "<p>You have been rate limited. Please slow down.</p></body></html>\n",
      );
    }
  }

  private markets(q: URLSearchParams, res: ServerResponse): void {
    const vs = q.get("vs_currency");
    if (!vs) return sendJson(res, 400, { error: "Missing parameter vs_currency" });
    if (vs.toLowerCase() !== "usd") return sendJson(res, 400, { error: "invalid vs_currency (the simulator quotes usd only)" });
    const perPage = intParam(q, "per_page", 100);
    const page = intParam(q, "page", 1);
    if (!(perPage >= 1 && perPage <= 250)) return sendJson(res, 400, { error: "per_page must be an integer in 1..250" });
    if (!(page >= 1)) return sendJson(res, 400, { error: "page must be a positive integer" });
    const orderName = q.get("order") ?? "market_cap_desc";
    if (!Object.hasOwn(ORDERS, orderName)) return sendJson(res, 400, { error: `invalid order (one of ${Object.keys(ORDERS).join(", ")})` });
    const order = ORDERS[orderName]!;
    const rank = new Map([...this.universe.products].sort(ORDERS.market_cap_desc).map((p, i) => [p, i + 1]));
    let list = [...this.universe.products];
    const ids = q.get("ids");
    if (ids) {
      const wanted = new Set(ids.split(",").map((s) => s.trim().toLowerCase()));
      list = list.filter((p) => wanted.has(p.cgId));
    }
    list.sort(order);
    const sparkline = q.get("sparkline") === "true";
    const changes = (q.get("price_change_percentage") ?? "").split(",").map((s) => s.trim()).filter((s) => s === "24h");
    const now = Date.now();
    const rows = list.slice((page - 1) * perPage, page * perPage).map((p) => {
      const row = market(p, rank.get(p)!);
      // As documented: `sparkline_in_7d` (hourly prices, 7 days) and one
      // `price_change_percentage_<period>_in_currency` per asked period, after the base fields.
      if (sparkline) row.sparkline_in_7d = { price: this.history ? this.history.hourlyCloses(p, now).map(num) : [] };
      for (const c of changes) row[`price_change_percentage_${c}_in_currency`] = num((p.px / p.open - 1) * 100);
      return row;
    });
    sendJson(res, 200, rows);
  }

  private simplePrice(q: URLSearchParams, res: ServerResponse): void {
    const ids = q.get("ids");
    const vs = q.get("vs_currencies");
    if (!ids) return sendJson(res, 400, { error: "Missing parameter ids" });
    if (!vs) return sendJson(res, 400, { error: "Missing parameter vs_currencies" });
    const usd = vs.split(",").some((c) => c.trim().toLowerCase() === "usd");
    const flag = (n: string) => q.get(n) === "true";
    const out: Record<string, Record<string, number>> = {};
    for (const id of ids.split(",")) {
      const p = this.universe.gecko(id.trim().toLowerCase());
      if (!p) continue;
      const row: Record<string, number> = {};
      if (usd) {
        const price = p.px / p.scale;
        row.usd = num(price);
        if (flag("include_market_cap")) row.usd_market_cap = num(price * p.supply);
        if (flag("include_24hr_vol")) row.usd_24h_vol = num(p.quoteVol24);
        if (flag("include_24hr_change")) row.usd_24h_change = num((p.px / p.open - 1) * 100);
      }
      if (flag("include_last_updated_at")) row.last_updated_at = Math.floor(p.updatedAt / 1000);
      out[p.cgId] = row;
    }
    sendJson(res, 200, out);
  }
}

/** One /coins/markets row with the fixture's fields, in the fixture's order. */
function market(p: Product, rank: number): Record<string, unknown> {
  const price = p.px / p.scale;
  const open = p.open / p.scale;
  const high = p.high / p.scale;
  const total = p.maxSupply ?? p.supply;
  const ath = Math.max(p.ath, high);
  const athDate = new Date(Date.UTC(2021 + (p.index % 4), p.index % 12, 1 + (p.index % 28), 7, 10, 36, 635)).toISOString();
  return {
    id: p.cgId,
    symbol: p.base.toLowerCase(),
    name: p.name,
    image: p.image,
    current_price: num(price),
    market_cap: Math.round(price * p.supply),
    market_cap_rank: rank,
    fully_diluted_valuation: Math.round(price * total),
    total_volume: Math.round(p.quoteVol24),
    high_24h: num(high),
    low_24h: num(p.low / p.scale),
    price_change_24h: num(price - open),
    price_change_percentage_24h: num((price / open - 1) * 100),
    market_cap_change_24h: num((price - open) * p.supply),
    market_cap_change_percentage_24h: num((price / open - 1) * 100),
    circulating_supply: Math.round(p.supply),
    total_supply: Math.round(total),
    max_supply: p.maxSupply === null ? null : Math.round(p.maxSupply),
    ath: num(ath),
    ath_change_percentage: num((price / ath - 1) * 100),
    ath_date: athDate,
    atl: num(p.atl),
    atl_change_percentage: num((price / p.atl - 1) * 100),
    atl_date: "2013-07-06T00:00:00.000Z",
    roi: null,
    last_updated: new Date(p.updatedAt).toISOString(),
  };
}
