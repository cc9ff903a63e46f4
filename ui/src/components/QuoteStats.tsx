/** A coin's live price with its flash, 24 h change, high/low, volume and spread. */
import * as fmt from "../core/format.ts";
import { flashClass } from "../core/market.ts";
import { app } from "../state/app.ts";

export default function QuoteStats(props: { symbol: string }) {
  const q = () => {
    app.live.version(props.symbol);
    return app.market.quotes.get(props.symbol);
  };
  const flash = () => {
    app.live.tick();
    if (app.stale()) return ""; // no flashes on prices that are not live
    return flashClass(q(), 0, Date.now());
  };
  const ch = () => q()?.change24hPct ?? 0;
  return (
    <dl class="stats">
      <div class="stat big"><dt>Price</dt><dd class={`price ${flash()}`} data-testid="coin-price">{fmt.price(q()?.price)}</dd></div>
      <div class="stat"><dt>24h</dt><dd classList={{ up: ch() > 0, down: ch() < 0 }}>{fmt.pct(q()?.change24hPct)}</dd></div>
      <div class="stat"><dt>High</dt><dd>{fmt.price(q()?.high24h)}</dd></div>
      <div class="stat"><dt>Low</dt><dd>{fmt.price(q()?.low24h)}</dd></div>
      <div class="stat"><dt>Volume</dt><dd>{fmt.compact(q()?.volume24h)}</dd></div>
      <div class="stat hide-sm"><dt>Bid / Ask</dt><dd>{fmt.price(q()?.bid)} / {fmt.price(q()?.ask)}</dd></div>
    </dl>
  );
}
