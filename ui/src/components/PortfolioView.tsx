/** Portfolio: holdings with live value and P&L, the watchlist, and personal price alerts. */
import HoldingForm from "./HoldingForm.tsx";
import HoldingsTable from "./HoldingsTable.tsx";
import PriceAlertsPanel from "./PriceAlertsPanel.tsx";
import WatchlistTable from "./WatchlistTable.tsx";

export default function PortfolioView() {
  return (
    <div class="view portfolio-view">
      <section class="panel" aria-labelledby="hold-title">
        <h2 id="hold-title">Holdings</h2>
        <HoldingForm />
        <HoldingsTable />
      </section>
      <WatchlistTable />
      <PriceAlertsPanel />
    </div>
  );
}
