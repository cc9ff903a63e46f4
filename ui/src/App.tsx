/** The dashboard shell: header, offline banner and the current view. */
import { Match, Switch, lazy } from "solid-js";
import Header from "./components/Header.tsx";
import MarketsView from "./components/MarketsView.tsx";
import OfflineBanner from "./components/OfflineBanner.tsx";
import PortfolioView from "./components/PortfolioView.tsx";
import { route } from "./route.ts";

// The chart views (and chart.js) load in their own chunk so the price grid paints
// without waiting for them; main.tsx prefetches them once prices are on screen.
export const loadOverview = () => import("./components/OverviewView.tsx");
export const loadCoin = () => import("./components/CoinView.tsx");
const OverviewView = lazy(loadOverview);
const CoinView = lazy(loadCoin);

export default function App() {
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <Header />
      <OfflineBanner />
      <main id="main" tabIndex={-1}>
        <Switch>
          <Match when={route().view === "markets"}><MarketsView /></Match>
          <Match when={route().view === "overview"}><OverviewView /></Match>
          <Match when={route().view === "coin"}><CoinView symbol={route().symbol} /></Match>
          <Match when={route().view === "portfolio"}><PortfolioView /></Match>
        </Switch>
      </main>
    </>
  );
}
