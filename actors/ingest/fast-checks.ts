/**
 * Hand-written checks for the frames that make up nearly all upstream traffic (Coinbase
 * `ticker`, `match`, `heartbeat`; Binance `24hrTicker`, `trade`, `aggTrade`), used
 * before zod on the hot path. Each check is at least as strict as its zod schema: what
 * it accepts, the schema accepts too (fast-checks.test.ts compares them on generated
 * and mutated frames). A frame it does not accept goes on to the schema, which either
 * takes it (rare shapes) or names the first offending field exactly as before, so
 * malformed frames are counted and sampled as they always were. The checks read the
 * parsed object in place: no copy, no issue list, no result object per frame.
 *
 * Also here: {@link isoMs}, `Date.parse` for the venues' ISO times with the date and
 * minute looked up once per minute.
 */

/** The venues' decimal strings (same pattern as coinbase/frames.ts `decimal`). */
export const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?$/;
/** Same pattern as coinbase/frames.ts `isoTime`. */
export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$/;

type Obj = Record<string, unknown>;

export const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
/** zod `z.number().int()` (safe integers), `.nonnegative()`. */
const uint = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const int = (x: unknown): boolean => Number.isSafeInteger(x);
const str1 = (x: unknown): boolean => typeof x === "string" && x.length > 0;
const dec = (x: unknown): boolean => typeof x === "string" && DECIMAL.test(x);
const optDec = (x: unknown): boolean => x === undefined || (typeof x === "string" && DECIMAL.test(x));
const side = (x: unknown): boolean => x === "buy" || x === "sell";

/** Coinbase Exchange `ticker` (CoinbaseTicker). */
export function coinbaseTickerOk(o: Obj): boolean {
  return o.type === "ticker" && uint(o.sequence) && str1(o.product_id) && dec(o.price) &&
    optDec(o.open_24h) && optDec(o.volume_24h) && optDec(o.low_24h) && optDec(o.high_24h) && optDec(o.volume_30d) &&
    optDec(o.best_bid) && optDec(o.best_bid_size) && optDec(o.best_ask) && optDec(o.best_ask_size) &&
    (o.side === undefined || side(o.side)) &&
    (o.time === undefined || (typeof o.time === "string" && ISO_TIME.test(o.time))) &&
    (o.trade_id === undefined || int(o.trade_id)) && optDec(o.last_size);
}

/** Coinbase Exchange `match` / `last_match` (CoinbaseMatch). */
export function coinbaseMatchOk(o: Obj): boolean {
  return (o.type === "match" || o.type === "last_match") && uint(o.trade_id) && uint(o.sequence) && typeof o.time === "string" && ISO_TIME.test(o.time) &&
    str1(o.product_id) && dec(o.size) && dec(o.price) && side(o.side);
}

/** Coinbase Exchange `heartbeat` (CoinbaseHeartbeat). */
export function coinbaseHeartbeatOk(o: Obj): boolean {
  return o.type === "heartbeat" && uint(o.sequence) && (o.last_trade_id === undefined || int(o.last_trade_id)) && str1(o.product_id) && typeof o.time === "string";
}

/** Binance 24 h ticker `data` (BinanceTicker24h: only the fields the shard reads are checked). */
export function binanceTickerOk(d: Obj): boolean {
  return d.e === "24hrTicker" && uint(d.E) && str1(d.s) && dec(d.c) &&
    optDec(d.Q) && optDec(d.b) && optDec(d.B) && optDec(d.a) && optDec(d.A) &&
    optDec(d.o) && optDec(d.h) && optDec(d.l) && optDec(d.v) && (d.L === undefined || int(d.L));
}

/** Binance Spot `trade` (BinanceTrade) or `aggTrade` (BinanceAggTrade) `data`. */
export function binanceTradeOk(d: Obj): boolean {
  const common = uint(d.E) && str1(d.s) && dec(d.p) && dec(d.q) && uint(d.T) && typeof d.m === "boolean";
  if (d.e === "trade") return common && uint(d.t);
  return d.e === "aggTrade" && common && uint(d.a) && (d.f === undefined || int(d.f)) && (d.l === undefined || int(d.l));
}

/**
 * Milliseconds of an ISO-8601 UTC time, exactly what `Date.parse` returns, without its
 * cost per frame: times of the form `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z` take the
 * `YYYY-MM-DDTHH:MM` part from a one-entry cache (venue times move forward, so it changes
 * once a minute) and add the seconds and milliseconds; anything else is `Date.parse`.
 */
export function isoMs(s: string): number {
  const n = s.length;
  if (n < 20 || n > 27 || s.charCodeAt(n - 1) !== 90 /* Z */ || s.charCodeAt(16) !== 58 /* : */) return Date.parse(s);
  const s1 = d(s, 17);
  const s2 = d(s, 18);
  if (s1 > 5 || s2 > 9) return Date.parse(s); // not 00..59 (also not a digit)
  let frac = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46 /* . */ || n === 21) return Date.parse(s);
    // Date.parse reads up to 3 fraction digits (more are truncated; 7+ are read oddly: not here).
    for (let i = 20, scale = 100; i < n - 1; i++, scale /= 10) {
      const c = d(s, i);
      if (c > 9) return Date.parse(s);
      if (scale >= 1) frac += c * scale;
    }
  } else if (s.charCodeAt(19) !== 90) return Date.parse(s);
  let base: number;
  if (cachedMinute !== undefined && s.startsWith(cachedMinute)) base = cachedBase;
  else {
    const minute = s.slice(0, 16);
    if (!MINUTE.test(minute)) return Date.parse(s);
    // Hour 24 (end of day) has only :00:00 in Date.parse: leave such times to it.
    if (d(s, 11) === 2 && d(s, 12) === 4) return Date.parse(s);
    base = Date.parse(`${minute}:00Z`);
    if (!Number.isFinite(base)) return Date.parse(s);
    cachedMinute = minute;
    cachedBase = base;
  }
  return base + (s1 * 10 + s2) * 1000 + frac;
}

const MINUTE = /^\d{4}-\d\d-\d\dT\d\d:\d\d$/;
let cachedMinute: string | undefined;
let cachedBase = 0;
/** The digit at `i` (0..9), or > 9 for anything else. */
const d = (s: string, i: number): number => (s.charCodeAt(i) - 48) >>> 0;
