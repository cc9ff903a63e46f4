/**
 * Synthetic market for the fake edge: N symbols random-walking, with 24 h stats,
 * movers, top coins, 30 s pulse rows, alerts and 1-minute candles (with backfilled
 * history). Deterministic for a given seed so tests and benches are repeatable.
 */
import type { AlertData, CandleData, MarketsData, MoversData, PulseData, TickerData, TopCoinsData } from "../../lib/contracts/protocol.ts";
import { Volatility, Trend } from "../../lib/contracts/protocol.ts";

const KNOWN: Array<[string, number]> = [
  ["BTC", 97000], ["ETH", 3400], ["SOL", 240], ["XRP", 1.4], ["DOGE", 0.38], ["ADA", 0.9], ["AVAX", 42], ["LINK", 18],
  ["DOT", 7.5], ["LTC", 95], ["BCH", 480], ["UNI", 11], ["ATOM", 8], ["XLM", 0.42], ["ETC", 28], ["FIL", 5.5],
  ["APT", 11], ["ARB", 0.85], ["OP", 2.1], ["NEAR", 5.8], ["ICP", 11.5], ["SHIB", 0.000024], ["PEPE", 0.000019], ["AAVE", 190],
];

/** mulberry32: small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Coin {
  symbol: string;
  price: number;
  open24h: number;
  high24h: number;
  low24h: number;
  volume24h: number;
  supply: number;
  vol: number;
  candle: CandleData;
  window: number[];
}

export const MINUTE = 60_000;

export class MarketSim {
  readonly coins: Coin[] = [];
  private readonly rnd: () => number;
  private alertId = 0;

  constructor(count: number, seed = 42, now = Date.now(), backfillMinutes = 120) {
    this.rnd = prng(seed);
    const seen = new Set<string>();
    const names: Array<[string, number]> = KNOWN.slice(0, count);
    for (const [n] of names) seen.add(n);
    while (names.length < count) {
      const len = 3 + Math.floor(this.rnd() * 2);
      let n = "";
      for (let i = 0; i < len; i++) n += String.fromCharCode(65 + Math.floor(this.rnd() * 26));
      if (seen.has(n)) continue;
      seen.add(n);
      names.push([n, 10 ** (this.rnd() * 7 - 4)]);
    }
    const minute = Math.floor(now / MINUTE) * MINUTE;
    for (const [i, [base, p]] of names.entries()) {
      const open = p * (1 + (this.rnd() - 0.5) * 0.2);
      const c: Coin = {
        symbol: `${base}-USD`, price: p, open24h: open, high24h: Math.max(p, open) * 1.03, low24h: Math.min(p, open) * 0.97,
        volume24h: i < KNOWN.length ? 4e10 / (i + 1) : 1e4 + this.rnd() ** 3 * 2e9, supply: 1e6 + this.rnd() * 1e10, vol: 0.0005 + this.rnd() * 0.002,
        candle: emptyCandle(`${base}-USD`, minute, p), window: [],
      };
      this.coins.push(c);
    }
    this.startMinute = minute;
    this.backfillMinutes = backfillMinutes;
  }

  private readonly startMinute: number;
  private readonly backfillMinutes: number;

  /** Hands every backfilled final candle to `fn`; call once, before the first step. */
  backfill(fn: (c: CandleData) => void): void {
    const minute = this.startMinute;
    for (const c of this.coins) {
      let price = c.price;
      const hist: CandleData[] = [];
      for (let m = this.backfillMinutes; m >= 1; m--) {
        const o = price;
        const cl = o * (1 + (this.rnd() - 0.5) * c.vol * 5);
        hist.push({ symbol: c.symbol, start: minute - m * MINUTE, open: o, close: cl, high: Math.max(o, cl) * 1.001, low: Math.min(o, cl) * 0.999,
          volume: this.rnd() * 1000, trades: 1 + Math.floor(this.rnd() * 200), empty: false, final: true });
        price = cl;
      }
      c.price = price;
      c.candle = emptyCandle(c.symbol, minute, price);
      for (const h of hist) fn(h);
    }
  }

  /** Move every price one step; returns the tickers and the candles whose minute closed. */
  step(now: number): { tickers: TickerData[]; closed: CandleData[] } {
    const tickers: TickerData[] = [];
    const closed: CandleData[] = [];
    const minute = Math.floor(now / MINUTE) * MINUTE;
    for (const c of this.coins) {
      const shock = (this.rnd() - 0.5) * 2 * c.vol + (this.rnd() < 0.001 ? (this.rnd() - 0.5) * 0.1 : 0);
      c.price = Math.max(c.price * (1 + shock), 1e-9);
      c.high24h = Math.max(c.high24h, c.price);
      c.low24h = Math.min(c.low24h, c.price);
      c.volume24h += this.rnd() * c.price * 3;
      c.window.push(c.price);
      if (c.candle.start !== minute) {
        closed.push({ ...c.candle, final: true });
        c.candle = emptyCandle(c.symbol, minute, c.price);
      }
      const k = c.candle;
      k.open ??= c.price;
      k.high = Math.max(k.high ?? c.price, c.price);
      k.low = Math.min(k.low ?? c.price, c.price);
      k.close = c.price;
      k.volume += this.rnd();
      k.trades++;
      k.empty = false;
      tickers.push({
        symbol: c.symbol, venue: "sim", price: c.price, bid: c.price * 0.9999, ask: c.price * 1.0001,
        open24h: c.open24h, high24h: c.high24h, low24h: c.low24h, volume24h: c.volume24h,
        change24hPct: ((c.price - c.open24h) / c.open24h) * 100, exchTs: now,
      });
    }
    return { tickers, closed };
  }

  current(symbol: string): CandleData | undefined {
    return this.coins.find((c) => c.symbol === symbol)?.candle;
  }

  movers(now: number, n = 10): MoversData {
    const rows = this.coins.map((c) => ({ symbol: c.symbol, price: c.price, change24hPct: ((c.price - c.open24h) / c.open24h) * 100, volume24h: c.volume24h }));
    rows.sort((a, b) => b.change24hPct - a.change24hPct);
    return { gainers: rows.slice(0, n), losers: rows.slice(-n).reverse(), asOf: now };
  }

  topcoins(now: number, n = 20): TopCoinsData {
    const byCap = [...this.coins].sort((a, b) => b.price * b.supply - a.price * a.supply);
    const rank = new Map(byCap.map((c, i) => [c.symbol, i + 1]));
    const coins = [...this.coins].sort((a, b) => b.volume24h - a.volume24h).slice(0, n).map((c) => ({
      symbol: c.symbol, price: c.price, volume24h: c.volume24h, change24hPct: ((c.price - c.open24h) / c.open24h) * 100,
      rank: rank.get(c.symbol) ?? null, marketCap: c.price * c.supply,
    }));
    return { coins, asOf: now };
  }

  /** The `markets` room: every coin with a rank, a made-up name and 24 hourly prices ending at its price. */
  markets(now: number): MarketsData {
    const byCap = [...this.coins].sort((a, b) => b.price * b.supply - a.price * a.supply);
    const coins = byCap.map((c, i) => {
      const base = c.symbol.split("-")[0]!;
      const spark: number[] = [];
      for (let h = 0; h < 24; h++) spark.push(Number(((c.open24h + ((c.price - c.open24h) * h) / 23) * (1 + (this.rnd() - 0.5) * 0.02)).toPrecision(6)));
      return { symbol: base, coin: base.toLowerCase(), name: `${base[0]}${base.slice(1).toLowerCase()} Coin`, rank: i + 1,
        marketCap: c.price * c.supply, volume24h: c.volume24h, spark };
    });
    return { coins, asOf: now };
  }

  /** Closes the pulse window: one row per coin (top `n` by volume) and starts the next window. */
  pulse(start: number, end: number, n = 60): PulseData {
    const coins = [...this.coins].sort((a, b) => b.volume24h - a.volume24h).slice(0, n).map((c) => {
      const w = c.window.length ? c.window : [c.price];
      const avg = w.reduce((s, x) => s + x, 0) / w.length;
      const range = (Math.max(...w) - Math.min(...w)) / avg;
      const move = (w[w.length - 1]! - w[0]!) / w[0]!;
      const vi = Math.min(4, Math.floor(range / 0.004));
      const ti = move > 0.004 ? 0 : move > 0.0008 ? 1 : move < -0.004 ? 4 : move < -0.0008 ? 3 : 2;
      return { symbol: c.symbol, avgPrice: avg, avgChange24hPct: ((avg - c.open24h) / c.open24h) * 100, maxVolume24h: c.volume24h,
        marketCap: avg * c.supply, volatility: Volatility[vi]!, trend: Trend[ti]!, ticks: w.length };
    });
    for (const c of this.coins) c.window = [];
    return { windowStart: start, windowEnd: end, coins };
  }

  alert(now: number): AlertData {
    const c = this.coins[Math.floor(this.rnd() * Math.min(60, this.coins.length))]!;
    const ch = ((c.price - c.open24h) / c.open24h) * 100;
    const kind = ch >= 0 ? "surge" : "plunge";
    return { id: `a${++this.alertId}-${now}`, symbol: c.symbol, kind, message: `${c.symbol} ${kind === "surge" ? "up" : "down"} ${Math.abs(ch).toFixed(2)} % in 24 h`,
      change24hPct: ch, price: c.price, at: now };
  }
}

function emptyCandle(symbol: string, start: number, _price: number): CandleData {
  return { symbol, start, open: null, high: null, low: null, close: null, volume: 0, trades: 0, empty: true, final: false };
}
