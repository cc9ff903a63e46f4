/**
 * Movers and top coins, as pure functions over the latest state per symbol.
 *
 * - Gainers: change24hPct > 0, highest first; losers: change24hPct < 0, lowest first.
 *   Ties break by symbol (ascending) so the output is deterministic.
 * - Top coins: one row per coin (the base of its pairs, e.g. BTC for BTC-USD and
 *   BTC-USDT), ranked by 24 h volume in quote currency (volume24h × price, summed over
 *   the coin's pairs; volume24h from venues is in base units, which cannot be compared
 *   across coins). The row shows the coin's most traded pair (symbol, price, change)
 *   and CoinGecko's rank and market cap matched by the base symbol. Only live venues
 *   count as tradable; degraded (CoinGecko) prices are left out of top coins.
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
  const r: MoverRow = { symbol: s.symbol, price: s.price, change24hPct: s.change24hPct };
  if (s.volume24h !== undefined) r.volume24h = s.volume24h;
  return r;
}

/** Top `n` gainers and losers. Throws RangeError for a negative or fractional `n`. */
export function rankMovers(states: Iterable<SymbolState>, n: number): { gainers: MoverRow[]; losers: MoverRow[] } {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`rankMovers: n must be an integer >= 0, got ${n}`);
  const withChange = [...states].filter((s): s is SymbolState & { change24hPct: number } => s.change24hPct !== undefined);
  const gainers = withChange.filter((s) => s.change24hPct > 0)
    .sort((a, b) => b.change24hPct - a.change24hPct || bySymbol(a, b));
  const losers = withChange.filter((s) => s.change24hPct < 0)
    .sort((a, b) => a.change24hPct - b.change24hPct || bySymbol(a, b));
  return { gainers: gainers.slice(0, n).map(moverRow), losers: losers.slice(0, n).map(moverRow) };
}

export interface CoinInfo {
  rank: number | null;
  marketCap: number | null;
}

/**
 * CoinGecko snapshots indexed by base symbol. Several coins share a ticker symbol on
 * CoinGecko; the best-ranked one wins (the one traders mean by "BTC").
 */
export class MarketIndex {
  readonly #byCoin = new Map<string, MarketSnapshot>();
  #bySymbol: Map<string, MarketSnapshot> | undefined;

  offer(m: MarketSnapshot): void {
    const cur = this.#byCoin.get(m.coin);
    if (cur && cur.ts > m.ts) return;
    this.#byCoin.set(m.coin, m);
    this.#bySymbol = undefined;
  }

  get(base: string): CoinInfo | undefined {
    if (!this.#bySymbol) {
      const idx = new Map<string, MarketSnapshot>();
      for (const m of this.#byCoin.values()) {
        const k = m.symbol.toUpperCase();
        const cur = idx.get(k);
        if (!cur || rankKey(m) < rankKey(cur) || (rankKey(m) === rankKey(cur) && m.coin < cur.coin)) idx.set(k, m);
      }
      this.#bySymbol = idx;
    }
    const m = this.#bySymbol.get(base);
    return m ? { rank: m.rank, marketCap: m.marketCap } : undefined;
  }

  get size(): number {
    return this.#byCoin.size;
  }
}

const rankKey = (m: MarketSnapshot) => m.rank ?? Number.MAX_SAFE_INTEGER;

/** Top `n` coins by quote volume. Throws RangeError for a negative or fractional `n`. */
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
    const r: TopCoinRow = { symbol: c.best.symbol, price: c.best.price, volume24h: Math.round(c.volume * 100) / 100 };
    if (c.best.change24hPct !== undefined) r.change24hPct = c.best.change24hPct;
    const info = markets.get(base);
    r.rank = info?.rank ?? null;
    r.marketCap = info?.marketCap ?? null;
    return r;
  });
  rows.sort((a, b) => b.volume24h - a.volume24h || bySymbol(a, b));
  return rows.slice(0, n);
}
