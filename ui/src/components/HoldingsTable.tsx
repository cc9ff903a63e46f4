/** Holdings valued at live prices with P&L, and totals (recomputed once per render tick). */
import { Index, Show, createMemo } from "solid-js";
import * as fmt from "../core/format.ts";
import { valuate } from "../core/portfolio.ts";
import { app } from "../state/app.ts";

export default function HoldingsTable() {
  const v = createMemo(() => {
    app.live.tick();
    return valuate(app.holdings(), (s) => app.market.price(s));
  });
  const tone = (n: number | undefined) => ({ up: (n ?? 0) > 0, down: (n ?? 0) < 0 });
  return (
    <Show when={app.holdings().length} fallback={<p class="muted">No holdings yet.</p>}>
      <div class="scroll-x">
        <table class="table" data-testid="holdings">
          <thead>
            <tr><th scope="col">Symbol</th><th scope="col" class="num">Quantity</th><th scope="col" class="num hide-sm">Cost/unit</th>
              <th scope="col" class="num">Price</th><th scope="col" class="num">Value</th><th scope="col" class="num">P&amp;L</th><th scope="col"><span class="sr-only">Remove</span></th></tr>
          </thead>
          <tbody>
            <Index each={v().rows}>
              {(r) => (
                <tr>
                  <td><a href={`#/coin/${encodeURIComponent(r().symbol)}`}>{r().symbol}</a></td>
                  <td class="num">{fmt.qty(r().quantity)}</td>
                  <td class="num hide-sm">{fmt.price(r().cost)}</td>
                  <td class="num">{fmt.price(r().price)}</td>
                  <td class="num">{fmt.usd(r().value)}</td>
                  <td class="num" classList={tone(r().pnl)}>{fmt.usd(r().pnl, true)} <span class="small">{fmt.pct(r().pnlPct)}</span></td>
                  <td><button type="button" class="btn ghost small" onClick={() => app.removeHolding(r().symbol)} aria-label={`Remove ${r().symbol}`}>✕</button></td>
                </tr>
              )}
            </Index>
          </tbody>
          <tfoot>
            <tr><th scope="row">Total</th><td /><td class="hide-sm" /><td /><td class="num">{fmt.usd(v().value)}</td>
              <td class="num" classList={tone(v().pnl)}>{fmt.usd(v().pnl, true)}</td><td /></tr>
          </tfoot>
        </table>
      </div>
    </Show>
  );
}
