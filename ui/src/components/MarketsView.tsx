/** Markets: the live grid beside the movers. */
import MoversPanel from "./MoversPanel.tsx";
import PriceGrid from "./PriceGrid.tsx";

export default function MarketsView() {
  return (
    <div class="view markets-view">
      <PriceGrid />
      <aside class="side"><MoversPanel limit={8} /></aside>
    </div>
  );
}
