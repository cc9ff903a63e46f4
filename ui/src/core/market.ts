/**
 * Latest quote per symbol, fed by `ticker.all` and `ticker.<SYM>` frames. Plain objects
 * mutated in place plus a dirty set: at 500 symbols × 10 Hz the page must not allocate
 * per tick; the UI reads the dirty set once per render interval (100 ms).
 */
import type { TickerData } from "../../../lib/contracts/protocol.ts";

export interface Quote extends TickerData {
  /** Price before the last change (undefined until the second tick). */
  prevPrice: number | undefined;
  /** Direction of the last price change: 1 up, -1 down, 0 none yet. */
  dir: 1 | -1 | 0;
  /** Counts price changes (a row flashes only for changes it saw). */
  flashes: number;
  /** When the price last changed (ms, receive time), for the flash's fade. */
  changedAt: number;
}

/** Flash stages after a price change: strong, then faint, then none (ms). */
export const FLASH_STRONG_MS = 250;
export const FLASH_MS = 700;

/**
 * The flash class of a price cell: direction and stage, or "" when the change is old
 * or happened before `baseline` (changes the cell did not show). Discrete stages
 * instead of a CSS animation: a stage changes at most once per render tick, when the
 * cell repaints for its new text anyway, whereas an animation repaints every frame
 * (3× the main-thread time at 500 symbols × 10 Hz).
 */
export function flashClass(q: Quote | undefined, baseline: number, now: number): string {
  if (!q || q.dir === 0 || q.flashes <= baseline) return "";
  const age = now - q.changedAt;
  if (age > FLASH_MS) return "";
  return `flash-${q.dir > 0 ? "up" : "down"}${age <= FLASH_STRONG_MS ? " strong" : ""}`;
}

/** `mcap`: the coin's market cap (CoinGecko), i.e. rank order; the default. */
export type SortKey = "symbol" | "price" | "change" | "volume" | "high" | "low" | "mcap";

/** What sorting and search read about a symbol's coin (core/coins.ts CoinDirectory). */
export interface CoinLookup {
  of(symbol: string): { marketCap: number | null; name?: string | undefined } | undefined;
}
export type SortDir = "asc" | "desc";

export class MarketStore {
  readonly quotes = new Map<string, Quote>();
  /** Symbols in discovery order. */
  readonly symbols: string[] = [];
  private dirty = new Set<string>();
  private newSymbols = false;

  /** Apply one tick; older ticks (by exchTs) than the stored one are ignored. Returns true if applied. */
  apply(t: TickerData, now = Date.now()): boolean {
    const q = this.quotes.get(t.symbol);
    if (!q) {
      this.quotes.set(t.symbol, { ...t, prevPrice: undefined, dir: 0, flashes: 0, changedAt: now });
      this.symbols.push(t.symbol);
      this.newSymbols = true;
      this.dirty.add(t.symbol);
      return true;
    }
    if (t.exchTs < q.exchTs) return false;
    if (t.price !== q.price) {
      q.prevPrice = q.price;
      q.dir = t.price > q.price ? 1 : -1;
      q.flashes++;
      q.changedAt = now;
    }
    q.price = t.price;
    q.venue = t.venue;
    q.exchTs = t.exchTs;
    // Optional fields: keep the last known value when a tick omits them.
    if (t.bid !== undefined) q.bid = t.bid;
    if (t.ask !== undefined) q.ask = t.ask;
    if (t.open24h !== undefined) q.open24h = t.open24h;
    if (t.high24h !== undefined) q.high24h = t.high24h;
    if (t.low24h !== undefined) q.low24h = t.low24h;
    if (t.volume24h !== undefined) q.volume24h = t.volume24h;
    if (t.change24hPct !== undefined) q.change24hPct = t.change24hPct;
    q.degraded = t.degraded;
    this.dirty.add(t.symbol);
    return true;
  }

  /** Symbols changed since the last call, and whether new symbols appeared. */
  takeDirty(): { symbols: Set<string>; added: boolean } {
    const out = { symbols: this.dirty, added: this.newSymbols };
    this.dirty = new Set();
    this.newSymbols = false;
    return out;
  }

  price(symbol: string): number | undefined {
    return this.quotes.get(symbol)?.price;
  }
}

const quoteVolume = (q: Quote | undefined) => (q?.volume24h === undefined ? NaN : q.volume24h * q.price);

function sortValue(q: Quote | undefined, key: SortKey, coin: { marketCap: number | null } | undefined): number {
  if (key === "mcap") return coin?.marketCap ?? NaN;
  if (!q) return NaN;
  switch (key) {
    case "price": return q.price;
    case "change": return q.change24hPct ?? NaN;
    // Quote volume in USD (base units × price): 22 T SHIB is less than 20 k BTC.
    case "volume": return quoteVolume(q);
    case "high": return q.high24h ?? NaN;
    case "low": return q.low24h ?? NaN;
    default: return NaN;
  }
}

/**
 * A sorted copy of `symbols`; missing values sort last in both directions. Equal values
 * (by market cap: one coin's pairs on several venues) follow by quote volume, most first,
 * then by symbol.
 */
export function sortSymbols(symbols: readonly string[], quotes: ReadonlyMap<string, Quote>, key: SortKey, dir: SortDir, coins?: CoinLookup): string[] {
  const sign = dir === "asc" ? 1 : -1;
  if (key === "symbol") return [...symbols].sort((a, b) => sign * (a < b ? -1 : a > b ? 1 : 0));
  const vals = new Map<string, number>();
  for (const s of symbols) vals.set(s, sortValue(quotes.get(s), key, coins?.of(s)));
  const tie = (a: string, b: string) => {
    const va = quoteVolume(quotes.get(a));
    const vb = quoteVolume(quotes.get(b));
    if (va !== vb && !Number.isNaN(va) && !Number.isNaN(vb)) return vb - va;
    return a < b ? -1 : 1;
  };
  return [...symbols].sort((a, b) => {
    const va = vals.get(a)!;
    const vb = vals.get(b)!;
    if (Number.isNaN(va)) return Number.isNaN(vb) ? tie(a, b) : 1;
    if (Number.isNaN(vb)) return -1;
    return va === vb ? tie(a, b) : sign * (va - vb);
  });
}

export interface FilterOptions {
  /** Only symbols whose latest tick came from this venue. */
  venue?: string | undefined;
  quotes?: ReadonlyMap<string, Quote>;
  /** Coin names to search as well as symbols. */
  coins?: CoinLookup;
}

/**
 * Symbols matching a search (case-insensitive substring of the symbol or, with `coins`,
 * of the coin's name: "bitc" finds BTC-USD) and, if given, only those in `only` and on `venue`.
 */
export function filterSymbols(symbols: readonly string[], query: string, only?: ReadonlySet<string>, o: FilterOptions = {}): string[] {
  const q = query.trim().toUpperCase();
  const match = (s: string) => !q || s.toUpperCase().includes(q) || (o.coins?.of(s)?.name?.toUpperCase().includes(q) ?? false);
  const onVenue = (s: string) => !o.venue || o.quotes?.get(s)?.venue === o.venue;
  return symbols.filter((s) => match(s) && (!only || only.has(s)) && onVenue(s));
}

/** The venues of the quotes held, sorted (for the grid's venue filter). */
export function venuesOf(quotes: ReadonlyMap<string, Quote>): string[] {
  const out = new Set<string>();
  for (const q of quotes.values()) if (q.venue) out.add(q.venue);
  return [...out].sort();
}
