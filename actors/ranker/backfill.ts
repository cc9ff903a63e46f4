/**
 * Candle history from the venues' klines REST, for periods before the live candles in
 * ROOMLOG (a fresh start, or beyond its 24 h retention):
 * - Coinbase Exchange `GET /products/<id>/candles?granularity=&start=&end=` (≤ 300
 *   buckets per request, newest first, `[time s, low, high, open, close, volume]`, no
 *   row for an interval without ticks);
 * - Binance `GET /api/v3/klines` (spot) and `/fapi/v1/klines` (USD-M), ≤ 1000 rows,
 *   oldest first, `[openTime, "o", "h", "l", "c", "v", closeTime, …, trades, …]`.
 *
 * Every candle returned is `source: "venue"`. An interval the venue has no trades for
 * (Coinbase: no row; Binance: a row with 0 trades) becomes an `empty` candle with null
 * prices between the first and last the venue knows: marked, never invented. Closed
 * periods are cached per venue, symbol and timeframe, so repeated chart opens cost no
 * requests; requests go out with a timeout and a cockatiel retry.
 */
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { z } from "zod";
import type { CandleData } from "../../lib/contracts/protocol.ts";
import { floorTo } from "./watermark.ts";

export interface KlineEndpoints {
  coinbase?: string;
  binance?: string;
  /** Binance USD-M futures REST base (venue names containing "usdm"). */
  binanceUsdm?: string;
}

export class KlinesError extends Error {
  override name = "KlinesError";
}

const CoinbaseRows = z.array(z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]).rest(z.unknown()));
const BinanceRows = z.array(z.tuple([z.number(), z.string(), z.string(), z.string(), z.string(), z.string(), z.number(), z.string(), z.number()]).rest(z.unknown()));

const COINBASE_MAX = 300;
const BINANCE_MAX = 1000;
const CACHE_ENTRIES = 256;

interface Cached {
  byStart: Map<number, CandleData>;
  from: number;
  to: number;
}

export class VenueKlines {
  readonly #cache = new Map<string, Cached>();
  readonly #policy = retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 1000 }) });
  requests = 0;

  constructor(
    readonly endpoints: KlineEndpoints,
    private readonly o: { fetch?: typeof fetch; timeoutMs?: number; now?: () => number } = {},
  ) {}

  /** Whether candles of `venue` can be fetched at all. */
  supports(venue: string): boolean {
    return this.#base(venue) !== undefined;
  }

  #base(venue: string): string | undefined {
    if (venue.includes("usdm")) return this.endpoints.binanceUsdm;
    if (venue.startsWith("binance")) return this.endpoints.binance;
    if (venue.startsWith("coinbase")) return this.endpoints.coinbase;
    return undefined;
  }

  /** Candles with start in [from, to), oldest first. @throws KlinesError when the venue cannot answer. */
  async candles(venue: string, symbol: string, tf: string, intervalMs: number, from: number, to: number): Promise<CandleData[]> {
    const now = (this.o.now ?? Date.now)();
    from = floorTo(from, intervalMs);
    const key = `${venue}|${symbol}|${tf}`;
    const c = this.#cache.get(key);
    const lastClosed = floorTo(now, intervalMs); // periods starting before this are closed
    let rows: CandleData[];
    if (c && c.from <= from && to <= lastClosed && c.to >= to) {
      rows = [...c.byStart.values()].filter((x) => x.start >= from && x.start < to).sort((a, b) => a.start - b.start);
    } else {
      rows = await this.#fetch(venue, symbol, tf, intervalMs, from, to);
      // Only closed periods are cached: the forming one changes.
      const closedTo = Math.min(to, lastClosed);
      const fetched = rows.filter((x) => x.start < lastClosed).map((x) => [x.start, { ...x, final: true }] as const);
      let entry: Cached;
      if (c && c.from <= closedTo && c.to >= from) {
        for (const [k, v] of fetched) c.byStart.set(k, v);
        c.from = Math.min(c.from, from);
        c.to = Math.max(c.to, closedTo);
        entry = c;
      } else {
        entry = { byStart: new Map(fetched), from, to: closedTo };
      }
      this.#cache.delete(key);
      this.#cache.set(key, entry);
      while (this.#cache.size > CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return fillEmpty(rows, symbol, tf, intervalMs);
  }

  async #fetch(venue: string, symbol: string, tf: string, iv: number, from: number, to: number): Promise<CandleData[]> {
    const base = this.#base(venue);
    if (!base) throw new KlinesError(`no klines endpoint for venue ${venue}`);
    const out: CandleData[] = [];
    const now = (this.o.now ?? Date.now)();
    const lastClosed = floorTo(now, iv);
    if (venue.startsWith("coinbase")) {
      for (let a = from; a < to; a += COINBASE_MAX * iv) {
        const b = Math.min(to, a + COINBASE_MAX * iv) - 1;
        const url = `${trim(base)}/products/${encodeURIComponent(symbol)}/candles?granularity=${iv / 1000}&start=${new Date(a).toISOString()}&end=${new Date(b).toISOString()}`;
        const rows = CoinbaseRows.parse(await this.#get(url));
        for (const [t, lo, hi, op, cl, v] of rows.reverse()) {
          const start = t * 1000;
          if (start < from || start >= to) continue;
          out.push({ symbol, start, open: op, high: hi, low: lo, close: cl, volume: v, trades: 0, empty: false, final: start < lastClosed, tf, source: "venue" });
        }
      }
    } else {
      const path = venue.includes("usdm") ? "/fapi/v1/klines" : "/api/v3/klines";
      const bn = symbol.replace("-", "").toUpperCase();
      for (let a = from; a < to; a += BINANCE_MAX * iv) {
        const b = Math.min(to, a + BINANCE_MAX * iv) - 1;
        const url = `${trim(base)}${path}?symbol=${bn}&interval=${tf}&startTime=${a}&endTime=${b}&limit=${BINANCE_MAX}`;
        for (const [start, o, h, l, c, v, , , n] of BinanceRows.parse(await this.#get(url))) {
          if (start < from || start >= to) continue;
          const empty = n === 0;
          out.push({
            symbol, start, open: empty ? null : Number(o), high: empty ? null : Number(h), low: empty ? null : Number(l), close: empty ? null : Number(c),
            volume: Number(v), trades: n, empty, final: start < lastClosed, tf, source: "venue",
          });
        }
      }
    }
    return out;
  }

  async #get(url: string): Promise<unknown> {
    const f = this.o.fetch ?? fetch;
    return await this.#policy.execute(async () => {
      this.requests++;
      const r = await f(url, { signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000) });
      if (!r.ok) throw new KlinesError(`GET ${url.split("?")[0]}: HTTP ${r.status} ${(await r.text()).slice(0, 200)}`);
      return await r.json();
    });
  }
}

const trim = (s: string) => s.replace(/\/+$/, "");

/** Insert empty candles for the periods between the first and last candle that have none. */
export function fillEmpty(rows: CandleData[], symbol: string, tf: string, iv: number): CandleData[] {
  if (rows.length === 0) return rows;
  const sorted = [...rows].sort((a, b) => a.start - b.start);
  const out: CandleData[] = [sorted[0]!];
  for (let i = 1; i < sorted.length; i++) {
    const cur = sorted[i]!;
    for (let t = out.at(-1)!.start + iv; t < cur.start; t += iv) {
      out.push({ symbol, start: t, open: null, high: null, low: null, close: null, volume: 0, trades: 0, empty: true, final: true, tf, source: "venue" });
    }
    out.push(cur);
  }
  return out;
}
