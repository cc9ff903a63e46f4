/**
 * The product universe: one {@link Product} per base asset, seen by every venue under
 * its own name (Coinbase `BTC-USD`, Binance `BTCUSDT`, CoinGecko `bitcoin`).
 *
 * The first products are real coins (coins.ts); the rest are generated, with valid
 * unique tickers, names, prices, supplies and volumes drawn from the seeded PRNG, so
 * the same seed and count always give the same universe.
 */
import { Book } from "./book.ts";
import { KNOWN_COINS, SUFFIXES, SYLLABLES } from "./coins.ts";
import { fixed, fixed8 } from "./fmt.ts";
import { deriveSeed, Prng } from "./prng.ts";

/** Salts that separate the random streams derived from one seed. */
const SALT = { universe: 1, walk: 2, book: 3, futBook: 4, futIds: 5 } as const;
/** USD-M futures update ids jump by up to this much more than 1 per move (ids are shared by all symbols there). */
const FUTURES_ID_JUMP = 40;

export class Product {
  // identity
  readonly cbId: string;
  readonly bnSymbol: string;
  readonly bnLower: string;
  readonly image: string;
  // number formats: prices are integers in units of 10^-dec, sizes in 10^-qtyDec
  readonly dec: number;
  readonly qtyDec: number;
  readonly scale: number;
  readonly qtyScale: number;
  /** Order-book levels sit on multiples of `step` price units. */
  readonly step: number;
  /** A typical order size, in size units. */
  readonly typQty: number;
  readonly sigma: number;
  // market state, moved by market.ts
  price: number;
  px: number;
  /** Price strings as Coinbase prints them (`pxStr`) and as Binance does (`px8`, 8 decimals). */
  pxStr: string;
  px8: string;
  open: number;
  openStr: string;
  open8: string;
  high: number;
  highStr: string;
  high8: string;
  low: number;
  lowStr: string;
  low8: string;
  /** Base volumes in size units; quote volume in USD (float). */
  vol24: number;
  vol30d: number;
  quoteVol24: number;
  firstTradeId: number;
  tradeId: number;
  lastQty: number;
  side: "buy" | "sell" = "buy";
  /** Coinbase per-product sequence of the last message sent (heartbeats repeat it). */
  cbSeq: number;
  updatedAt: number;
  readonly walk: Prng;
  private bookState: Book | null = null;
  private futBookState: Book | null = null;
  /** Listed on the venues (exchangeInfo, /products); the listings fault knob delists or relists. */
  listed = true;
  // scheduling
  refs = 0;
  activeAt = -1;
  stalledUntil = 0;

  constructor(
    readonly index: number,
    readonly base: string,
    readonly name: string,
    readonly cgId: string,
    readonly supply: number,
    readonly maxSupply: number | null,
    readonly ath: number,
    readonly atl: number,
    private readonly seed: number,
    price: number,
    change24: number,
    usdVolume: number,
  ) {
    this.cbId = `${base}-USD`;
    this.bnSymbol = `${base}USDT`;
    this.bnLower = this.bnSymbol.toLowerCase();
    this.image = `https://assets.coingecko.com/coins/images/${index + 1}/large/${cgId}.png`;
    const mag = Math.floor(Math.log10(price));
    this.dec = Math.min(8, Math.max(2, 4 - mag));
    this.scale = 10 ** this.dec;
    const typ = 2000 / price;
    this.qtyDec = Math.min(8, Math.max(0, 7 - Math.ceil(Math.log10(typ))));
    this.qtyScale = 10 ** this.qtyDec;
    this.typQty = Math.max(1, Math.round(typ * this.qtyScale));
    this.sigma = index < 2 ? 0.0004 : index < KNOWN_COINS.length ? 0.0007 : 0.001;
    // Book levels about one typical tick move apart: the book shifts a level or so per tick.
    this.step = Math.max(1, 10 ** Math.round(Math.log10(price * this.sigma * this.scale)));
    this.walk = new Prng(deriveSeed(seed, SALT.walk, index));
    const r = new Prng(deriveSeed(seed, SALT.universe, index, 7));
    this.price = price;
    this.px = Math.max(1, Math.round(price * this.scale));
    this.pxStr = fixed(this.px, this.dec);
    this.px8 = fixed8(this.px, this.dec);
    this.open = Math.max(1, Math.round((price / (1 + change24)) * this.scale));
    this.openStr = fixed(this.open, this.dec);
    this.open8 = fixed8(this.open, this.dec);
    this.high = Math.round(Math.max(this.open, this.px) * r.range(1, 1.03));
    this.highStr = fixed(this.high, this.dec);
    this.high8 = fixed8(this.high, this.dec);
    this.low = Math.max(1, Math.round(Math.min(this.open, this.px) * r.range(0.97, 1)));
    this.lowStr = fixed(this.low, this.dec);
    this.low8 = fixed8(this.low, this.dec);
    this.vol24 = Math.round((usdVolume / price) * this.qtyScale);
    this.vol30d = Math.round(this.vol24 * r.range(25, 35));
    this.quoteVol24 = usdVolume;
    this.tradeId = 1e8 + r.int(9e8);
    this.firstTradeId = this.tradeId - Math.round(r.range(1e4, 5e5));
    this.lastQty = Math.max(1, Math.round(this.typQty * r.range(0.05, 1)));
    this.cbSeq = 1e10 + r.int(3e10);
    this.seqStart = { cbSeq: this.cbSeq, tradeId: this.tradeId, firstTradeId: this.firstTradeId };
    this.updatedAt = Date.now();
  }

  /** Where this product's sequences start: on every simulator start, and again after {@link restartSequences}. */
  private readonly seqStart: { cbSeq: number; tradeId: number; firstTradeId: number };

  /**
   * Number again from the start, as a venue does after maintenance: the Coinbase
   * sequence and the trade ids go back to their first values (prices walk on).
   */
  restartSequences(): void {
    this.cbSeq = this.seqStart.cbSeq;
    this.tradeId = this.seqStart.tradeId;
    this.firstTradeId = this.seqStart.firstTradeId;
  }

  /** The order book, created on first use around the current price. */
  get book(): Book {
    this.bookState ??= new Book(new Prng(deriveSeed(this.seed, SALT.book, this.index)), this, this.px);
    return this.bookState;
  }

  get hasBook(): boolean {
    return this.bookState !== null;
  }

  /** The USD-M futures (perpetual) book: its own levels and non-contiguous update ids. */
  get futBook(): Book {
    this.futBookState ??= new Book(
      new Prng(deriveSeed(this.seed, SALT.futBook, this.index)),
      this,
      this.px,
      FUTURES_ID_JUMP,
      new Prng(deriveSeed(this.seed, SALT.futIds, this.index)),
    );
    return this.futBookState;
  }

  get hasFutBook(): boolean {
    return this.futBookState !== null;
  }

  /** Circulating supply times price. */
  get marketCap(): number {
    return this.price * this.supply;
  }
}

/** All products, with look-ups by each venue's name for them. */
export class Universe {
  private readonly byName = new Map<string, Product>();

  constructor(readonly products: readonly Product[]) {
    for (const p of products) {
      for (const k of [p.cbId, p.bnSymbol, p.bnLower, p.cgId, p.base]) this.byName.set(k, p);
    }
  }

  /** A product by Coinbase id, Binance symbol (any case), CoinGecko id or base ticker. */
  find(name: string): Product | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toUpperCase());
  }

  coinbase(id: string): Product | undefined {
    const p = this.byName.get(id);
    return p && p.cbId === id ? p : undefined;
  }

  /** Binance symbol, upper case as in REST (`BTCUSDT`) or lower case as in stream names. */
  binance(symbol: string): Product | undefined {
    const p = this.byName.get(symbol);
    return p && (p.bnSymbol === symbol || p.bnLower === symbol) ? p : undefined;
  }

  gecko(id: string): Product | undefined {
    const p = this.byName.get(id);
    return p && p.cgId === id ? p : undefined;
  }
}

/**
 * Build `count` products from `seed`: the known coins first (as many as fit), then
 * generated ones whose market caps fall off with rank.
 * @throws RangeError if count is not an integer in 1..20000.
 */
export function buildUniverse(seed: number, count: number): Universe {
  if (!Number.isInteger(count) || count < 1 || count > 20_000) {
    throw new RangeError(`universe size must be an integer in 1..20000, got ${count}`);
  }
  const r = new Prng(deriveSeed(seed, SALT.universe));
  const products: Product[] = [];
  const bases = new Set<string>(KNOWN_COINS.map((c) => c[0]));
  const ids = new Set<string>(KNOWN_COINS.map((c) => c[2]));
  const change = () => Math.max(-0.22, Math.min(0.28, r.gauss() * 0.07));
  for (const [base, name, id, price, supply, max] of KNOWN_COINS.slice(0, count)) {
    const i = products.length;
    const p = price * r.range(0.97, 1.03);
    const usdVol = p * supply * r.range(0.01, 0.05);
    products.push(
      new Product(i, base, name, id, supply, max, p * r.range(1.1, 3), p * r.range(0.001, 0.3), seed, p, change(), usdVol),
    );
  }
  while (products.length < count) {
    const i = products.length;
    const [name, base, id] = generateName(r, bases, ids);
    const rank = i + 1;
    const mcap = 8e9 * (rank / 50) ** -1.3 * r.range(0.7, 1.3);
    const price = r.logRange(0.0003, 60);
    const supply = mcap / price;
    const max = r.next() < 0.5 ? null : supply * r.range(1, 3);
    const usdVol = mcap * r.range(0.02, 0.2);
    products.push(
      new Product(i, base, name, id, supply, max, price * r.range(1.1, 8), price * r.range(0.001, 0.5), seed, price, change(), usdVol),
    );
  }
  return new Universe(products);
}

/** A fresh (name, ticker, CoinGecko id), unique within the universe. */
function generateName(r: Prng, bases: Set<string>, ids: Set<string>): [string, string, string] {
  for (;;) {
    const n = 2 + r.int(2);
    let word = "";
    for (let k = 0; k < n; k++) word += r.pick(SYLLABLES);
    const name = word[0]!.toUpperCase() + word.slice(1) + r.pick(SUFFIXES);
    const id = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    // Ticker: the word's letters with vowels squeezed out, 3-5 characters.
    const consonants = word.toUpperCase().replace(/[AEIOU]/g, "");
    let base = (word[0]!.toUpperCase() + consonants.slice(1)).slice(0, 3 + r.int(3));
    if (base.length < 3) base = word.toUpperCase().slice(0, 4);
    if (bases.has(base)) base = (base.slice(0, 3) + String.fromCharCode(65 + r.int(26)) + String.fromCharCode(65 + r.int(26)));
    if (bases.has(base) || ids.has(id) || base.startsWith("USD") || base.endsWith("USDT")) continue;
    bases.add(base);
    ids.add(id);
    return [name, base, id];
  }
}
