/**
 * Locale-aware number and time formatting. Intl formatters are expensive to build and
 * cheap to use, so each distinct (locale, options) pair is built once and cached.
 */
const cache = new Map<string, Intl.NumberFormat>();
const timeCache = new Map<string, Intl.DateTimeFormat>();
let locale: string | undefined;

/** Use this locale (default: the browser's). Clears nothing: the cache is keyed by locale. */
export function setLocale(l: string | undefined): void {
  locale = l;
}

/** A cached Intl.NumberFormat for the current locale and these options. */
export function numberFormat(opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ""}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, opts);
    cache.set(key, f);
  }
  return f;
}

export function formatterCount(): number {
  return cache.size + timeCache.size;
}

const DASH = "—";
const ok = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);

/** Fraction digits that show a price's movement: 2 above 1, more for small coins. */
export function priceDigits(v: number): number {
  const a = Math.abs(v);
  if (a >= 1000) return 2;
  if (a >= 1) return a >= 100 ? 2 : 4;
  if (a >= 0.01) return 5;
  if (a === 0) return 2;
  return Math.min(10, 3 - Math.floor(Math.log10(a))); // 4 significant digits
}

export function price(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  const d = priceDigits(v);
  return numberFormat({ minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
}

/** Percent from a number already in percent (2.5 → "+2.50 %" in en). */
export function pct(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return numberFormat({ style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero" }).format(v / 100);
}

/** Large numbers compactly (1.2M, 3.4B). */
export function compact(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return numberFormat({ notation: "compact", maximumFractionDigits: 2 }).format(v);
}

/** A price in USD with the grid's digits ("$97,123.45", "$0.000009970"). */
export function usdPrice(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  const d = priceDigits(v);
  return numberFormat({ style: "currency", currency: "USD", minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
}

/** Large USD amounts compactly, 3 significant digits so a column stays narrow ("$1.38T", "$413B", "$9.12M"). */
export function usdCompact(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return numberFormat({ style: "currency", currency: "USD", notation: "compact", maximumSignificantDigits: 3 }).format(v);
}

/** An amount of money in USD. */
export function usd(v: number | null | undefined, signed = false): string {
  if (!ok(v)) return DASH;
  return numberFormat({ style: "currency", currency: "USD", maximumFractionDigits: 2, minimumFractionDigits: 2, signDisplay: signed ? "exceptZero" : "auto" }).format(v);
}

/** Plain quantity with up to 8 decimals. */
export function qty(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return numberFormat({ maximumFractionDigits: 8 }).format(v);
}

export function integer(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return numberFormat({ maximumFractionDigits: 0 }).format(v);
}

/** Wall-clock time of a timestamp (ms), with seconds. */
export function time(ts: number | null | undefined, seconds = true): string {
  if (!ok(ts)) return DASH;
  const key = `${locale ?? ""}|${seconds}`;
  let f = timeCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined });
    timeCache.set(key, f);
  }
  return f.format(ts);
}

const dateCache = new Map<string, Intl.DateTimeFormat>();
function dateFormat(key: string, o: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = dateCache.get(`${locale ?? ""}|${key}`);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, o);
    dateCache.set(`${locale ?? ""}|${key}`, f);
  }
  return f;
}

/** Day and month of a timestamp, e.g. "3 Dec". */
export function date(ts: number | null | undefined): string {
  return ok(ts) ? dateFormat("date", { day: "numeric", month: "short" }).format(ts) : DASH;
}

/** Day, month and time of a timestamp (tooltips). */
export function dateTime(ts: number | null | undefined): string {
  return ok(ts) ? dateFormat("dt", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(ts) : DASH;
}
