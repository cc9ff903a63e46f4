/**
 * Movers and top coins, as pure functions over the latest state per symbol.
 *
 * - Gainers: change24hPct > 0, highest first; losers: change24hPct < 0, lowest first.
 *   One row per coin (the base of its pairs, e.g. BTC for BTC-USD and BTC-USDT): its
 *   most traded pair (quote volume; a live venue before a degraded price), with the
 *   venue named. Ties break by symbol (ascending) so the output is deterministic.
 * - Top coins: one row per coin, in CoinGecko market-cap rank order (coins without a
 *   rank after the ranked ones, by 24 h quote volume: volume24h × price summed over the
 *   coin's pairs; base units cannot be compared across coins). The row shows the coin's
 *   most traded pair (symbol, venue, price, change) and CoinGecko's name, rank and
 *   market cap matched by the base symbol. Only live venues count as tradable;
 *   degraded (CoinGecko) prices are left out of top coins.
 */
import type { MarketSnapshot } from "../../lib/contracts/messages.ts";
import type { MoversData, TopCoinsData } from "../../lib/contracts/protocol.ts";
import { change24hPct, DEGRADED_VENUE } from "../coalescer/ticker.ts";
import type { Tick } from "../../lib/contracts/messages.ts";

export interface SymbolState {
  symbol: string;
  venue: string;
  price: number;
  change24hPct?: number;
  volume24h?: number;
}

type MoverRow = MoversData["gainers"][number];
type TopCoinRow = TopCoinsData["coins"][number];

/** Base asset of a `BASE-QUOTE` symbol, upper-case ("btc-usd" → "BTC"). */
export const baseOf = (symbol: string): string => {
  const i = symbol.indexOf("-");
  return (i < 0 ? symbol : symbol.slice(0, i)).toUpperCase();
};

export function symbolStateOf(t: Tick): SymbolState {
  const s: SymbolState = { symbol: t.symbol, venue: t.venue, price: t.price };
  const ch = change24hPct(t.price, t.open24h);
  if (ch !== undefined) s.change24hPct = ch;
  if (t.volume24h !== undefined) s.volume24h = t.volume24h;
  return s;
}

const bySymbol = (a: { symbol: string }, b: { symbol: string }) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

function moverRow(s: SymbolState & { change24hPct: number }): MoverRow {
  const r: MoverRow = { symbol: s.symbol, venue: s.venue, price: s.price, change24hPct: s.change24hPct };
  if (s.volume24h !== undefined) r.volume24h = s.volume24h;
  return r;
}

const quoteVolume = (s: SymbolState) => (s.volume24h !== undefined && s.price > 0 ? s.volume24h * s.price : 0);

/** Whether `a` represents its coin better than `b`: a live venue, then more quote volume, then the lower symbol. */
function betterPair(a: SymbolState, b: SymbolState): boolean {
  const da = a.venue === DEGRADED_VENUE;
  if (da !== (b.venue === DEGRADED_VENUE)) return !da;
  const qa = quoteVolume(a);
  const qb = quoteVolume(b);
  return qa !== qb ? qa > qb : a.symbol < b.symbol;
}

/** One state per coin: its most traded pair (see betterPair). */
export function perCoin<S extends SymbolState>(states: Iterable<S>): S[] {
  const best = new Map<string, S>();
  for (const s of states) {
    const base = baseOf(s.symbol);
    const cur = best.get(base);
    if (!cur || betterPair(s, cur)) best.set(base, s);
  }
  return [...best.values()];
}

/** Top `n` gainers and losers, one row per coin. Throws RangeError for a negative or fractional `n`. */
export function rankMovers(states: Iterable<SymbolState>, n: number): { gainers: MoverRow[]; losers: MoverRow[] } {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`rankMovers: n must be an integer >= 0, got ${n}`);
  const withChange = perCoin([...states].filter((s): s is SymbolState & { change24hPct: number } => s.change24hPct !== undefined));
  const gainers = withChange.filter((s) => s.change24hPct > 0)
    .sort((a, b) => b.change24hPct - a.change24hPct || bySymbol(a, b));
  const losers = withChange.filter((s) => s.change24hPct < 0)
    .sort((a, b) => a.change24hPct - b.change24hPct || bySymbol(a, b));
  return { gainers: gainers.slice(0, n).map(moverRow), losers: losers.slice(0, n).map(moverRow) };
}

export interface CoinInfo {
  rank: number | null;
  marketCap: number | null;
  name?: string;
}

/**
 * CoinGecko snapshots indexed by base symbol. Several coins share a ticker symbol on
 * CoinGecko; the best-ranked one wins (the one traders mean by "BTC").
 */
export class MarketIndex {
  readonly #byCoin = new Map<string, MarketSnapshot>();
  #bySymbol: Map<string, MarketSnapshot> | undefined;

  /** Bumped by every accepted snapshot (the `markets` room is due when it moved). */
  version = 0;

  offer(m: MarketSnapshot): void {
    const cur = this.#byCoin.get(m.coin);
    if (cur && cur.ts > m.ts) return;
    this.#byCoin.set(m.coin, m);
    this.#bySymbol = undefined;
    this.version++;
  }

  get(base: string): CoinInfo | undefined {
    const m = this.#index().get(base);
    return m ? { rank: m.rank, marketCap: m.marketCap, ...(m.name ? { name: m.name } : {}) } : undefined;
  }

  /** One snapshot per ticker symbol (the best-ranked coin), in rank order, unranked last by symbol. */
  list(): MarketSnapshot[] {
    return [...this.#index().values()].sort((a, b) => rankKey(a) - rankKey(b) || (a.symbol < b.symbol ? -1 : 1));
  }

  #index(): Map<string, MarketSnapshot> {
    if (!this.#bySymbol) {
      const idx = new Map<string, MarketSnapshot>();
      for (const m of this.#byCoin.values()) {
        const k = m.symbol.toUpperCase();
        const cur = idx.get(k);
        if (!cur || rankKey(m) < rankKey(cur) || (rankKey(m) === rankKey(cur) && m.coin < cur.coin)) idx.set(k, m);
      }
      this.#bySymbol = idx;
    }
    return this.#bySymbol;
  }

  get size(): number {
    return this.#byCoin.size;
  }
}

const rankKey = (m: MarketSnapshot) => m.rank ?? Number.MAX_SAFE_INTEGER;

/** Top `n` coins in rank order (unranked after, by quote volume). Throws RangeError for a negative or fractional `n`. */
export function rankTopCoins(states: Iterable<SymbolState>, markets: { get(base: string): CoinInfo | undefined }, n: number): TopCoinRow[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`rankTopCoins: n must be an integer >= 0, got ${n}`);
  const coins = new Map<string, { volume: number; best: SymbolState; bestVolume: number }>();
  for (const s of states) {
    if (s.venue === DEGRADED_VENUE || s.volume24h === undefined || !(s.price > 0)) continue;
    const qv = s.volume24h * s.price;
    const base = baseOf(s.symbol);
    const c = coins.get(base);
    if (!c) coins.set(base, { volume: qv, best: s, bestVolume: qv });
    else {
      c.volume += qv;
      if (qv > c.bestVolume || (qv === c.bestVolume && s.symbol < c.best.symbol)) {
        c.best = s;
        c.bestVolume = qv;
      }
    }
  }
  const rows = [...coins.entries()].map(([base, c]) => {
    const r: TopCoinRow = { symbol: c.best.symbol, venue: c.best.venue, price: c.best.price, volume24h: Math.round(c.volume * 100) / 100 };
    if (c.best.change24hPct !== undefined) r.change24hPct = c.best.change24hPct;
    const info = markets.get(base);
    if (info?.name) r.name = info.name;
    r.rank = info?.rank ?? null;
    r.marketCap = info?.marketCap ?? null;
    return r;
  });
  rows.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || b.volume24h - a.volume24h || bySymbol(a, b));
  return rows.slice(0, n);
}
