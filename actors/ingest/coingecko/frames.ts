/**
 * Zod schemas of the CoinGecko responses the poller reads (`/coins/markets`, and
 * `/simple/price` for completeness), and their mapping to bus MarketSnapshot/Tick.
 * Numbers may be null for thin coins; such fields stay null (snapshot) or absent (tick).
 */
import { z } from "zod";
import type { MarketSnapshot, Tick } from "../../../lib/contracts/messages.ts";

const n = z.number().finite().nullable().optional();

export const CoinGeckoMarket = z
  .object({
    id: z.string().min(1),
    symbol: z.string().min(1),
    name: z.string().optional(),
    current_price: n,
    market_cap: n,
    market_cap_rank: z.number().int().positive().nullable().optional(),
    total_volume: n,
    high_24h: n,
    low_24h: n,
    price_change_24h: n,
    price_change_percentage_24h: n,
    last_updated: z.string().nullable().optional(),
    /** Present with `sparkline=true`: hourly prices over 7 days, oldest first (nulls for gaps on thin coins). */
    sparkline_in_7d: z.object({ price: z.array(z.number().finite().nullable()) }).loose().nullable().optional(),
  })
  .loose();
export type CoinGeckoMarket = z.infer<typeof CoinGeckoMarket>;

export const CoinGeckoMarkets = z.array(z.unknown());

export const CoinGeckoSimplePrice = z.record(z.string(), z.record(z.string(), z.number().nullable()));

const TOKEN = /^[A-Za-z0-9_-]+$/;

export function marketSnapshot(c: CoinGeckoMarket, now: number): MarketSnapshot {
  const ts = c.last_updated ? Date.parse(c.last_updated) : NaN;
  return {
    v: 1,
    coin: c.id,
    symbol: c.symbol.toUpperCase(),
    ...(c.name ? { name: c.name } : {}),
    rank: c.market_cap_rank ?? null,
    price: c.current_price ?? null,
    marketCap: c.market_cap ?? null,
    volume24h: c.total_volume ?? null,
    change24hPct: c.price_change_percentage_24h ?? null,
    ...spark24h(c),
    ts: Number.isFinite(ts) && ts > 0 ? ts : now,
    source: "coingecko",
  };
}

/** Points of the sparkline kept on the bus: the last 24 h of CoinGecko's hourly 7-day series. */
export const SPARK_POINTS = 24;

/** The last 24 hourly prices, 6 significant digits (a sparkline needs the shape, not the cents); gaps dropped. */
function spark24h(c: CoinGeckoMarket): { spark24h?: number[] } {
  const prices = c.sparkline_in_7d?.price;
  if (!prices?.length) return {};
  const tail = prices.slice(-SPARK_POINTS).filter((x): x is number => x !== null && x > 0).map((x) => Number(x.toPrecision(6)));
  return tail.length >= 2 ? { spark24h: tail } : {};
}

/**
 * A degraded tick (venue "coingecko") for the dashboard while the exchange feed is down.
 * Its sequence is the update time in ms, so an unchanged coin polled twice is one tick.
 */
export function degradedTick(c: CoinGeckoMarket, vs: string, now: number): Tick | undefined {
  if (c.current_price == null) return undefined;
  const symbol = `${c.symbol.toUpperCase()}-${vs.toUpperCase()}`;
  if (!TOKEN.test(symbol)) return undefined;
  const t = c.last_updated ? Date.parse(c.last_updated) : NaN;
  const exchTs = Number.isFinite(t) && t > 0 ? t : now;
  const tick: Tick = { venue: "coingecko", symbol, price: c.current_price, exchTs, recvTs: now, seq: exchTs };
  if (c.high_24h != null) tick.high24h = c.high_24h;
  if (c.low_24h != null) tick.low24h = c.low_24h;
  if (c.price_change_24h != null) tick.open24h = c.current_price - c.price_change_24h;
  return tick;
}

export function isTokenSafe(id: string): boolean {
  return TOKEN.test(id);
}
