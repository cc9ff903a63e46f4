/** Picks the coin shown in the detail view. */
import { For, createMemo } from "solid-js";
import { app } from "../state/app.ts";
import { go } from "../route.ts";

export default function CoinSelector(props: { symbol: string | undefined }) {
  const options = createMemo(() => {
    const list = [...app.live.symbols()].sort();
    if (props.symbol && !list.includes(props.symbol)) list.unshift(props.symbol);
    return list;
  });
  return (
    <label class="selector">
      <span>Coin</span>
      <select onChange={(e) => go("coin", e.currentTarget.value)} data-testid="coin-select">
        <option value="" disabled selected={!props.symbol}>Choose a coin…</option>
        <For each={options()}>{(s) => <option value={s} selected={s === props.symbol}>{s}</option>}</For>
      </select>
    </label>
  );
}
