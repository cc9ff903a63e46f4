/** Hash routes: #/markets, #/overview, #/coin/BTC-USD, #/portfolio. */
import { createSignal } from "solid-js";

export type View = "markets" | "overview" | "coin" | "portfolio";
export interface Route {
  view: View;
  symbol?: string;
}

const SYMBOL = /^[A-Za-z0-9_-]{1,40}$/;
const VIEWS: readonly View[] = ["markets", "overview", "coin", "portfolio"];

export function parseHash(hash: string): Route {
  const [, view, symbol] = hash.replace(/^#/, "").split("/");
  const v = VIEWS.includes(view as View) ? (view as View) : "markets";
  let sym: string | undefined;
  try {
    sym = symbol ? decodeURIComponent(symbol) : undefined;
  } catch { /* malformed escape: ignore */ }
  // Only names that are valid room tokens (a typo in the URL must not break the page).
  return sym && v === "coin" && SYMBOL.test(sym) ? { view: v, symbol: sym } : { view: v };
}

const [route, setRoute] = createSignal<Route>(parseHash(location.hash));
window.addEventListener("hashchange", () => setRoute(parseHash(location.hash)));

export { route };

export function go(view: View, symbol?: string): void {
  location.hash = symbol ? `#/${view}/${encodeURIComponent(symbol)}` : `#/${view}`;
}
