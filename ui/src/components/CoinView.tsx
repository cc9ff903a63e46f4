/** Coin: a selector and the detail of the chosen coin (default: the most traded one). */
import { Show, createMemo } from "solid-js";
import { app } from "../state/app.ts";
import CoinDetail from "./CoinDetail.tsx";
import CoinSelector from "./CoinSelector.tsx";

export default function CoinView(props: { symbol?: string }) {
  const symbol = createMemo(() => props.symbol ?? (app.live.symbols().includes("BTC-USD") ? "BTC-USD" : app.live.symbols()[0]));
  return (
    <div class="view coin-view">
      <CoinSelector symbol={symbol()} />
      <Show when={symbol()} fallback={<p class="muted">Waiting for symbols…</p>}>
        {(s) => <CoinDetail symbol={s()} />}
      </Show>
    </div>
  );
}
