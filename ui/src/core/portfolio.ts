/**
 * Watchlist and holdings, persisted in localStorage (any Storage-like object, so tests
 * pass a Map-backed one). A corrupt or foreign value in storage is ignored, never fatal.
 */
export interface Holding {
  symbol: string;
  /** Units held, > 0. */
  quantity: number;
  /** Price paid per unit, ≥ 0. */
  cost: number;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface Valuation {
  symbol: string;
  quantity: number;
  cost: number;
  price: number | undefined;
  value: number | undefined;
  costBasis: number;
  pnl: number | undefined;
  pnlPct: number | undefined;
}

export const STORAGE_KEY = "tickflow.portfolio.v1";

export class PortfolioStore {
  watchlist = new Set<string>();
  holdings: Holding[] = [];

  constructor(private readonly storage: StorageLike | undefined, private readonly key = STORAGE_KEY) {
    this.load();
  }

  private load(): void {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(this.key) ?? null;
    } catch { /* storage disabled */ }
    if (!raw) return;
    try {
      const v = JSON.parse(raw) as { watchlist?: unknown; holdings?: unknown };
      if (Array.isArray(v.watchlist)) this.watchlist = new Set(v.watchlist.filter((s): s is string => typeof s === "string"));
      if (Array.isArray(v.holdings)) this.holdings = v.holdings.filter(isHolding);
    } catch { /* corrupt: start empty */ }
  }

  private save(): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify({ watchlist: [...this.watchlist], holdings: this.holdings }));
    } catch { /* quota or disabled storage: keep working in memory */ }
  }

  toggleWatch(symbol: string): boolean {
    const on = !this.watchlist.has(symbol);
    if (on) this.watchlist.add(symbol);
    else this.watchlist.delete(symbol);
    this.save();
    return on;
  }

  /** Add a holding, merging into an existing one of the same symbol at the average cost. Throws a RangeError on bad numbers. */
  addHolding(h: Holding): void {
    if (!isHolding(h)) throw new RangeError(`holding needs a symbol, quantity > 0 and cost >= 0, got ${JSON.stringify(h)}`);
    const cur = this.holdings.find((x) => x.symbol === h.symbol);
    if (cur) {
      const qty = cur.quantity + h.quantity;
      cur.cost = (cur.cost * cur.quantity + h.cost * h.quantity) / qty;
      cur.quantity = qty;
      this.holdings = [...this.holdings];
    } else {
      this.holdings = [...this.holdings, { ...h }];
    }
    this.save();
  }

  removeHolding(symbol: string): void {
    this.holdings = this.holdings.filter((h) => h.symbol !== symbol);
    this.save();
  }
}

function isHolding(v: unknown): v is Holding {
  if (typeof v !== "object" || v === null) return false;
  const h = v as Record<string, unknown>;
  return typeof h.symbol === "string" && h.symbol.length > 0 &&
    typeof h.quantity === "number" && Number.isFinite(h.quantity) && h.quantity > 0 &&
    typeof h.cost === "number" && Number.isFinite(h.cost) && h.cost >= 0;
}

/** Value and P&L of each holding at the given prices (undefined where no price is known yet). */
export function valuate(holdings: readonly Holding[], priceOf: (symbol: string) => number | undefined): {
  rows: Valuation[];
  value: number;
  costBasis: number;
  pnl: number;
} {
  let value = 0, costBasis = 0, pnl = 0;
  const rows = holdings.map((h) => {
    const price = priceOf(h.symbol);
    const basis = h.cost * h.quantity;
    const v = price === undefined ? undefined : price * h.quantity;
    const p = v === undefined ? undefined : v - basis;
    costBasis += basis;
    if (v !== undefined) { value += v; pnl += p!; }
    return { symbol: h.symbol, quantity: h.quantity, cost: h.cost, price, value: v, costBasis: basis, pnl: p,
      pnlPct: p === undefined || basis === 0 ? undefined : (p / basis) * 100 };
  });
  return { rows, value, costBasis, pnl };
}
