/**
 * Which products the shards own, per venue. Every shard must compute the same list
 * (rendezvous hashing needs the same keys everywhere), so the list comes from config
 * or from the upstream's own listing, sorted.
 *
 * PRODUCTS entries:
 *   `coinbase:BTC-USD`, `binance:BTCUSDT`  one venue, its own product id;
 *   `BTC-USD`                              every venue of the feed (Binance: BTCUSDT,
 *                                          since Binance lists USDT rather than USD pairs);
 *   `BTC`                                  shorthand for BTC-USD.
 * An empty PRODUCTS means everything the upstream lists (the simulator:
 * `/_sim/products`; Coinbase `/products`; Binance `/api/v3/exchangeInfo`; USD-M futures
 * `/fapi/v1/exchangeInfo`, from the simulator too), up to PRODUCTS_LIMIT. Binance bus
 * symbols come from the listing's own `baseAsset`/`quoteAsset`, Coinbase's from
 * `base_currency`/`quote_currency` (Advanced Trade list: `*_currency_id`) ({@link symbolsOf}).
 */
import { z } from "zod";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import { isSimFeed, type IngestSettings, type VenueEndpoint } from "./settings.ts";
import type { VenueName } from "./venues.ts";

export type ProductLists = Partial<Record<VenueName, string[]>>;

export class ProductListError extends Error {
  override name = "ProductListError";
}

function forVenue(venue: VenueName, base: string, quote: string): string {
  if (venue === "coinbase") return `${base}-${quote}`;
  return `${base}${quote === "USD" ? "USDT" : quote}`;
}

/** Bus symbols of listed products, kept beside the lists they came with. */
const SYMBOLS = new WeakMap<ProductLists, Partial<Record<VenueName, Map<string, string>>>>();

/** `BTCUSDT` → `BTC-USDT` per venue, as the venue's listing named base and quote (empty for PRODUCTS lists). */
export function symbolsOf(lists: ProductLists): Partial<Record<VenueName, ReadonlyMap<string, string>>> {
  return SYMBOLS.get(lists) ?? {};
}

/** Expand PRODUCTS entries for the given venues. Throws ProductListError on a malformed entry. */
export function productsFromList(entries: readonly string[], venues: readonly VenueName[]): ProductLists {
  const out: Record<string, Set<string>> = {};
  for (const v of venues) out[v] = new Set();
  for (const raw of entries) {
    const e = raw.trim();
    const m = /^(?:(coinbase|binance|binance-usdm):)?([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?$/.exec(e);
    if (!m) throw new ProductListError(`PRODUCTS: ${JSON.stringify(e)} is not BASE-QUOTE, BASE or venue:PRODUCT`);
    const [, venue, a, b] = m;
    if (venue) {
      if (!venues.includes(venue as VenueName)) continue;
      out[venue]!.add(venue !== "coinbase" && !b ? a!.toUpperCase() : b ? `${a}-${b}`.toUpperCase() : a!.toUpperCase());
      continue;
    }
    for (const v of venues) out[v]!.add(forVenue(v, a!.toUpperCase(), (b ?? "USD").toUpperCase()));
  }
  return Object.fromEntries(Object.entries(out).map(([k, s]) => [k, [...s].sort()]));
}

const SimProducts = z.array(z.object({ coinbase: z.string(), binance: z.string() }).loose());
const CoinbaseProducts = z.array(z.object({ id: z.string(), status: z.string().optional(), base_currency: z.string().optional(), quote_currency: z.string().optional() }).loose());
/** Advanced Trade's product list (`/api/v3/brokerage/market/products`): `{products: [...]}`, base/quote as `*_currency_id`. */
const AdvancedProducts = z.object({
  products: z.array(z.object({
    product_id: z.string(), status: z.string().optional(), trading_disabled: z.boolean().optional(),
    base_currency_id: z.string().optional(), quote_currency_id: z.string().optional(),
  }).loose()),
}).loose();

/**
 * Online Coinbase products of either list shape (Exchange `/products`, or Advanced Trade's
 * when COINBASE_REST_URL points there), with their bus symbols from base/quote.
 */
function listCoinbase(body: unknown, limit: number, symbols: Map<string, string>): string[] | undefined {
  const ex = CoinbaseProducts.safeParse(body);
  const rows = ex.success
    ? ex.data.filter((p) => (p.status ?? "online") === "online").map((p) => [p.id, p.base_currency, p.quote_currency] as const)
    : AdvancedProducts.safeParse(body).data?.products
      .filter((p) => (p.status ?? "online").toLowerCase() === "online" && !p.trading_disabled)
      .map((p) => [p.product_id, p.base_currency_id, p.quote_currency_id] as const);
  if (!rows) return undefined;
  for (const [id, base, quote] of rows) if (base && quote) symbols.set(id, `${base}-${quote}`.toUpperCase());
  return rows.map(([id]) => id).sort().slice(0, limit);
}
const BinanceInfo = z.object({
  symbols: z.array(z.object({ symbol: z.string(), status: z.string(), baseAsset: z.string().optional(), quoteAsset: z.string().optional() }).loose()),
}).loose();
type BinanceInfo = z.infer<typeof BinanceInfo>;

/** TRADING symbols of an exchangeInfo body, and their bus symbols from baseAsset/quoteAsset. */
function listBinance(body: BinanceInfo, limit: number, symbols: Map<string, string>): string[] {
  const live = body.symbols.filter((p) => p.status === "TRADING");
  for (const p of live) if (p.baseAsset && p.quoteAsset) symbols.set(p.symbol, `${p.baseAsset}-${p.quoteAsset}`.toUpperCase());
  return live.map((p) => p.symbol).sort().slice(0, limit);
}

const policy = retry(handleAll, { maxAttempts: 4, backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 10_000 }) })
  .dangerouslyUnref();

async function getJson(url: string, f: typeof fetch): Promise<unknown> {
  return await policy.execute(async () => {
    const res = await f(url, { headers: { accept: "application/json" } });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new ProductListError(`GET ${url}: HTTP ${res.status}`);
    }
    return await res.json();
  });
}

/** The product lists for these endpoints. Throws ProductListError when the upstream cannot be listed. */
export async function resolveProducts(s: IngestSettings, endpoints: readonly VenueEndpoint[], f: typeof fetch = fetch): Promise<ProductLists> {
  const venues = endpoints.map((e) => e.venue);
  if (s.PRODUCTS.length > 0) return productsFromList(s.PRODUCTS, venues);
  const limit = s.PRODUCTS_LIMIT;
  const out: ProductLists = {};
  const symbols: Partial<Record<VenueName, Map<string, string>>> = {};
  const simVenues = venues.filter((v) => v !== "binance-usdm");
  if (isSimFeed(s) && simVenues.length > 0) Object.assign(out, await simLists(s, simVenues, limit, f));
  for (const ep of endpoints) {
    if (out[ep.venue]) continue;
    if (ep.venue === "coinbase") {
      const list = listCoinbase(await getJson(`${(ep.restUrl ?? "https://api.exchange.coinbase.com").replace(/\/$/, "")}/products`, f), limit, (symbols.coinbase = new Map()));
      if (!list) throw new ProductListError("coinbase /products: unexpected body");
      out.coinbase = list;
    } else {
      const path = ep.venue === "binance-usdm" ? "/fapi/v1/exchangeInfo" : "/api/v3/exchangeInfo";
      const body = BinanceInfo.safeParse(await getJson(`${ep.restUrl!.replace(/\/$/, "")}${path}`, f));
      if (!body.success) throw new ProductListError(`${ep.venue} ${path}: unexpected body`);
      out[ep.venue] = listBinance(body.data, limit, (symbols[ep.venue] = new Map()));
    }
  }
  SYMBOLS.set(out, symbols);
  return out;
}

/** The simulator lists its universe (every venue's name for each product) at /_sim/products. */
async function simLists(s: IngestSettings, venues: readonly VenueName[], limit: number, f: typeof fetch): Promise<ProductLists> {
  const out: Record<string, string[]> = {};
  for (const v of venues) out[v] = [];
  for (let offset = 0, n = 0; n < limit; ) {
    const body = SimProducts.safeParse(await getJson(`${s.SIM_URL.replace(/\/$/, "")}/_sim/products?offset=${offset}&limit=1000`, f));
    if (!body.success) throw new ProductListError("simulator /_sim/products: unexpected body");
    for (const p of body.data.slice(0, limit - n)) for (const v of venues) out[v]!.push(p[v as "coinbase" | "binance"]);
    n += body.data.length;
    offset += body.data.length;
    if (body.data.length < 1000) break;
  }
  return Object.fromEntries(Object.entries(out).map(([k, xs]) => [k, xs.sort()]));
}
