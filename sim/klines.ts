/**
 * Candle history REST, as the venues document it:
 * - Binance Spot `GET /api/v3/klines` and USD-M futures `GET /fapi/v1/klines`:
 *   `symbol`, `interval` (1m … 1M), `startTime`, `endTime`, `limit` (default 500, max
 *   1000 spot / 1500 futures). Rows oldest first:
 *   `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume",
 *   trades, "takerBuyBase", "takerBuyQuote", "0"]`. An interval without trades is still
 *   returned (volume 0, all four prices the previous close).
 * - Coinbase Exchange `GET /products/<id>/candles?granularity=&start=&end=`:
 *   granularity one of 60, 300, 900, 3600, 21600, 86400; at most 300 buckets per
 *   request (more is rejected); rows newest first `[time(s), low, high, open, close,
 *   volume]`; no row for an interval without ticks.
 *
 * History: a seeded 30-day 1-minute walk per product that ends at the product's price
 * when the simulator started (so it joins the live feed), then the minutes the live
 * market actually traded (recorded from its ticks).
 */
import type { ServerResponse } from "node:http";
import { sendJson } from "./http.ts";
import type { TickListener } from "./market.ts";
import { deriveSeed, Prng } from "./prng.ts";
import type { Product, Universe } from "./universe.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const SALT_KLINES = 4;
export const BINANCE_INTERVALS: Record<string, number> = {
  "1m": MIN, "3m": 3 * MIN, "5m": 5 * MIN, "15m": 15 * MIN, "30m": 30 * MIN,
  "1h": 60 * MIN, "2h": 120 * MIN, "4h": 240 * MIN, "6h": 360 * MIN, "8h": 480 * MIN, "12h": 720 * MIN,
  "1d": 1440 * MIN, "3d": 3 * 1440 * MIN, "1w": 7 * 1440 * MIN,
};
export const COINBASE_GRANULARITIES = [60, 300, 900, 3600, 21600, 86400] as const;

/** One bar: open, high, low, close (prices), volume (base units), trades. */
export interface Bar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
}

interface Seeded {
  /** o,h,l,c,v per minute, oldest first; minute i starts at firstMinute + i·MIN. */
  data: Float64Array;
}

export class KlineHistory implements TickListener {
  /** Start of the first live minute: the seeded history covers the minutes before it. */
  readonly anchor: number;
  readonly firstMinute: number;
  readonly minutes: number;
  readonly #anchorPx: Float64Array;
  readonly #seeded = new Map<number, Seeded>();
  readonly #live = new Map<number, Map<number, Bar>>();
  /** Close per hour start of the seeded walk's last 8 days, per product (sparklines). */
  readonly #seededHours = new Map<number, Map<number, number>>();

  constructor(readonly universe: Universe, readonly seed: number, now = Date.now(), days = 30) {
    this.anchor = Math.floor(now / MIN) * MIN;
    this.minutes = days * 1440;
    this.firstMinute = this.anchor - this.minutes * MIN;
    this.#anchorPx = Float64Array.from(universe.products, (p) => p.px / p.scale);
  }

  onTick(p: Product, now: number): void {
    const t = Math.floor(now / MIN) * MIN;
    if (t < this.anchor) return;
    let m = this.#live.get(p.index);
    if (!m) this.#live.set(p.index, (m = new Map()));
    const px = p.px / p.scale;
    const q = p.lastQty / p.qtyScale;
    const b = m.get(t);
    if (!b) {
      m.set(t, { t, o: px, h: px, l: px, c: px, v: q, n: 1 });
      if (m.size > this.minutes) m.delete(m.keys().next().value!);
      return;
    }
    if (px > b.h) b.h = px;
    if (px < b.l) b.l = px;
    b.c = px;
    b.v += q;
    b.n++;
  }

  /** The seeded walk, generated backwards from the anchor price on first use. */
  #walk(p: Product): Float64Array {
    const have = this.#seeded.get(p.index);
    if (have) return have.data;
    const d = this.#generate(p, this.minutes);
    if (this.#seeded.size >= 64) this.#seeded.delete(this.#seeded.keys().next().value!);
    this.#seeded.set(p.index, { data: d });
    return d;
  }

  /**
   * The last `k` minutes of the seeded walk (o,h,l,c,v each, oldest first). The walk runs
   * backwards from the anchor, so a tail is the same numbers as the whole walk's end.
   */
  #generate(p: Product, k: number): Float64Array {
    const r = new Prng(deriveSeed(this.seed, SALT_KLINES, p.index));
    const n = this.minutes;
    const base = n - k;
    const d = new Float64Array(k * 5);
    const sig = p.sigma * 2.5;
    const round = (x: number) => Math.max(1, Math.round(x * p.scale)) / p.scale;
    let close = this.#anchorPx[p.index]!;
    const typ = p.typQty / p.qtyScale;
    for (let i = n - 1; i >= base; i--) {
      const open = round(close * Math.exp(-sig * r.gauss()));
      const hi = round(Math.max(open, close) * (1 + Math.abs(r.gauss()) * sig * 0.6));
      const lo = round(Math.min(open, close) * (1 - Math.abs(r.gauss()) * sig * 0.6));
      const o = (i - base) * 5;
      d[o] = open;
      d[o + 1] = hi;
      d[o + 2] = lo;
      d[o + 3] = close;
      d[o + 4] = Math.round(typ * r.logRange(3, 80) * p.qtyScale) / p.qtyScale;
      close = open;
    }
    return d;
  }

  /**
   * Hourly prices for CoinGecko's `sparkline_in_7d`: the close of each of the last
   * `points` hours (the current hour: the latest price), oldest first, from the same
   * history the klines endpoints serve. The seeded hours are computed once per product.
   */
  hourlyCloses(p: Product, now: number, points = 168): number[] {
    const cur = Math.floor(now / HOUR) * HOUR;
    const first = cur - (points - 1) * HOUR;
    let seeded = this.#seededHours.get(p.index);
    if (!seeded) {
      seeded = new Map();
      const k = Math.min(this.minutes, 8 * 1440);
      const d = this.#generate(p, k);
      const t0 = this.anchor - k * MIN;
      for (let i = 0; i < k; i++) seeded.set(Math.floor((t0 + i * MIN) / HOUR) * HOUR, d[i * 5 + 3]!);
      this.#seededHours.set(p.index, seeded);
    }
    const closes = new Map(seeded);
    for (const b of this.#live.get(p.index)?.values() ?? []) if (b.t >= first) closes.set(Math.floor(b.t / HOUR) * HOUR, b.c);
    const out: number[] = [];
    let prev: number | undefined;
    for (let h = first; h <= cur; h += HOUR) {
      const c = closes.get(h) ?? prev;
      if (c !== undefined) out.push(c);
      prev = c;
    }
    return out;
  }

  /** 1-minute bars with trades in [from, to), oldest first. */
  minuteBars(p: Product, from: number, to: number): Bar[] {
    const out: Bar[] = [];
    const start = Math.max(from, this.firstMinute);
    if (start < this.anchor && to > this.firstMinute) {
      const d = this.#walk(p);
      const i0 = Math.ceil((start - this.firstMinute) / MIN);
      const i1 = Math.min(this.minutes, Math.ceil((Math.min(to, this.anchor) - this.firstMinute) / MIN));
      for (let i = i0; i < i1; i++) {
        const o = i * 5;
        out.push({ t: this.firstMinute + i * MIN, o: d[o]!, h: d[o + 1]!, l: d[o + 2]!, c: d[o + 3]!, v: d[o + 4]!, n: 1 + Math.round(d[o + 4]! * 7 / (p.typQty / p.qtyScale)) });
      }
    }
    const live = this.#live.get(p.index);
    if (live && to > this.anchor) for (const b of live.values()) if (b.t >= from && b.t < to) out.push({ ...b });
    return out;
  }

  /** Bars of `intervalMs` (aligned to the epoch) with trades, whose start is in [from, to). */
  bars(p: Product, intervalMs: number, from: number, to: number): Bar[] {
    const a = Math.floor(from / intervalMs) * intervalMs;
    const src = this.minuteBars(p, a, to);
    if (intervalMs === MIN) return src.filter((b) => b.t >= from);
    const out: Bar[] = [];
    let cur: Bar | undefined;
    for (const b of src) {
      const t = Math.floor(b.t / intervalMs) * intervalMs;
      if (cur && cur.t === t) {
        if (b.h > cur.h) cur.h = b.h;
        if (b.l < cur.l) cur.l = b.l;
        cur.c = b.c;
        cur.v += b.v;
        cur.n += b.n;
      } else {
        if (cur) out.push(cur);
        cur = { ...b, t };
      }
    }
    if (cur) out.push(cur);
    return out.filter((b) => b.t >= from);
  }
}

const num8 = (x: number) => x.toFixed(8);

/** Handle a klines/candles path; false if the path is not one of these. */
export function klinesRest(h: KlineHistory, universe: Universe, path: string, q: URLSearchParams, res: ServerResponse, now = Date.now()): boolean {
  if (path === "/api/v3/klines" || path === "/fapi/v1/klines") {
    binanceKlines(h, universe, q, res, path === "/fapi/v1/klines" ? 1500 : 1000, now);
    return true;
  }
  const m = /^\/products\/([^/]+)\/candles\/?$/.exec(path);
  if (m) {
    coinbaseCandles(h, universe, decodeURIComponent(m[1]!), q, res, now);
    return true;
  }
  return false;
}

const intOrNaN = (v: string | null) => (v === null || v === "" ? undefined : /^\d{1,15}$/.test(v) ? Number(v) : NaN);

function binanceKlines(h: KlineHistory, universe: Universe, q: URLSearchParams, res: ServerResponse, maxLimit: number, now: number): void {
  const symbol = q.get("symbol");
  if (!symbol) return sendJson(res, 400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
  const interval = q.get("interval");
  if (!interval) return sendJson(res, 400, { code: -1102, msg: "Mandatory parameter 'interval' was not sent, was empty/null, or malformed." });
  const p = universe.binance(symbol);
  if (!p || p.bnSymbol !== symbol) return sendJson(res, 400, { code: -1121, msg: "Invalid symbol." });
  const iv = BINANCE_INTERVALS[interval];
  if (iv === undefined) return sendJson(res, 400, { code: -1120, msg: "Invalid interval." });
  const start = intOrNaN(q.get("startTime"));
  const end = intOrNaN(q.get("endTime"));
  const lim = intOrNaN(q.get("limit"));
  for (const [name, v] of [["startTime", start], ["endTime", end], ["limit", lim]] as const) {
    if (Number.isNaN(v)) return sendJson(res, 400, { code: -1100, msg: `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.` });
  }
  const limit = Math.min(maxLimit, Math.max(1, lim ?? 500));
  const last = Math.floor(now / iv) * iv;
  // Without startTime: the most recent `limit` up to endTime (or now). With startTime: forward from it.
  let from: number;
  let to: number;
  if (start !== undefined) {
    from = Math.ceil(start / iv) * iv;
    to = Math.min(end ?? Infinity, last) + 1;
    to = Math.min(to, from + limit * iv);
  } else {
    to = Math.floor(Math.min(end ?? now, now) / iv) * iv + 1;
    from = Math.floor(to / iv) * iv - (limit - 1) * iv;
  }
  from = Math.max(from, Math.ceil(h.firstMinute / iv) * iv);
  const bars = new Map(h.bars(p, iv, from, to).map((b) => [b.t, b]));
  const rows: unknown[] = [];
  let prevClose: number | undefined = bars.size ? [...bars.values()][0]!.o : undefined;
  for (let t = from; t < to && rows.length < limit; t += iv) {
    const b = bars.get(t);
    if (!b && prevClose === undefined) continue;
    const x = b ?? { t, o: prevClose!, h: prevClose!, l: prevClose!, c: prevClose!, v: 0, n: 0 };
    prevClose = x.c;
    const quote = x.v * (x.o + x.c) / 2;
    rows.push([t, num8(x.o), num8(x.h), num8(x.l), num8(x.c), num8(x.v), t + iv - 1, num8(quote), x.n, num8(x.v / 2), num8(quote / 2), "0"]);
  }
  sendJson(res, 200, rows);
}

/** Coinbase accepts ISO 8601 (and, in practice, unix seconds) for start/end. */
function parseTime(v: string | null): number | undefined {
  if (v === null || v === "") return undefined;
  if (/^\d{1,12}$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : NaN;
}

function coinbaseCandles(h: KlineHistory, universe: Universe, id: string, q: URLSearchParams, res: ServerResponse, now: number): void {
  const p = universe.coinbase(id);
  if (!p) return sendJson(res, 404, { message: "NotFound" });
  const g = Number(q.get("granularity") ?? "60");
  if (!(COINBASE_GRANULARITIES as readonly number[]).includes(g)) return sendJson(res, 400, { message: "Unsupported granularity" });
  const iv = g * 1000;
  let start = parseTime(q.get("start"));
  let end = parseTime(q.get("end"));
  if (Number.isNaN(start) || Number.isNaN(end)) return sendJson(res, 400, { message: "Invalid start or end time" });
  // If either is missing both are ignored and a range ending now is used.
  if (start === undefined || end === undefined) {
    end = now;
    start = now - 300 * iv;
  }
  if (end < start) return sendJson(res, 400, { message: "start must be before end" });
  if ((end - start) / iv > 300) {
    return sendJson(res, 400, { message: "granularity too small for the requested time range. Count of aggregations requested exceeds 300" });
  }
  const bars = h.bars(p, iv, Math.floor(start / iv) * iv, Math.min(end, now) + 1);
  const rows = bars.reverse().map((b) => [b.t / 1000, b.l, b.h, b.o, b.c, Math.round(b.v * 1e8) / 1e8]);
  sendJson(res, 200, rows);
}
