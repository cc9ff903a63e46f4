/**
 * What the user keeps in the browser: the watchlist, holdings and personal price alerts
 * (saved in `storage`), as signals; `check` offers new prices to the price rules.
 */
import { createSignal } from "solid-js";
import type { MarketStore } from "../core/market.ts";
import { PortfolioStore, type Holding, type StorageLike } from "../core/portfolio.ts";
import { type Fired, type PriceRule, PriceAlerts } from "../core/price-alerts.ts";

export function createPersonal(storage: StorageLike | undefined, notify: ((f: Fired) => void) | undefined) {
  const portfolio = new PortfolioStore(storage);
  const priceAlerts = new PriceAlerts(storage);
  const [priceRules, setPriceRules] = createSignal<readonly PriceRule[]>(priceAlerts.rules);
  const [firedAlerts, setFiredAlerts] = createSignal<readonly Fired[]>([]);
  const [watchlist, setWatchlist] = createSignal<ReadonlySet<string>>(new Set(portfolio.watchlist));
  const [holdings, setHoldings] = createSignal<readonly Holding[]>(portfolio.holdings);
  /** Symbol → exchTs of the last price offered to its rules. */
  const checkedAt = new Map<string, number>();

  return {
    watchlist, holdings, priceRules, firedAlerts,
    /** Personal price alerts: each symbol with a rule, once per new price. */
    check(market: MarketStore): void {
      for (const sym of priceAlerts.symbols()) {
        const q = market.quotes.get(sym);
        if (!q || (checkedAt.get(sym) ?? -1) >= q.exchTs) continue;
        checkedAt.set(sym, q.exchTs);
        const fired = priceAlerts.offer(sym, q.price, q.exchTs);
        if (fired.length) {
          setFiredAlerts((l) => [...fired, ...l].slice(0, 50));
          for (const f of fired) notify?.(f);
        }
      }
    },
    addPriceRule(r: Omit<PriceRule, "id">): void {
      priceAlerts.add(r);
      setPriceRules(priceAlerts.rules);
    },
    removePriceRule(id: string): void {
      priceAlerts.remove(id);
      setPriceRules(priceAlerts.rules);
    },
    toggleWatch(symbol: string): void {
      portfolio.toggleWatch(symbol);
      setWatchlist(new Set(portfolio.watchlist));
    },
    addHolding(h: Holding): void {
      portfolio.addHolding(h);
      setHoldings(portfolio.holdings);
    },
    removeHolding(symbol: string): void {
      portfolio.removeHolding(symbol);
      setHoldings(portfolio.holdings);
    },
  };
}
