/**
 * Personal price alerts: a form (coin, above / below / % move in N minutes), the saved
 * rules, and the alerts that fired (in-page; plus a browser notification when the
 * user allowed them, asked for when the first rule is added).
 */
import { For, Show, createSignal } from "solid-js";
import { describeRule, type AlertKind } from "../core/price-alerts.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";

export default function PriceAlertsPanel() {
  const [symbol, setSymbol] = createSignal("BTC-USD");
  const [kind, setKind] = createSignal<AlertKind>("above");
  const [value, setValue] = createSignal("");
  const [minutes, setMinutes] = createSignal("15");
  const [error, setError] = createSignal("");

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    try {
      app.addPriceRule({ symbol: symbol().trim().toUpperCase(), kind: kind(), value: Number(value()), ...(kind() === "move" ? { minutes: Number(minutes()) } : {}) });
      setError("");
      setValue("");
      if (typeof Notification !== "undefined" && Notification.permission === "default") void Notification.requestPermission();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section class="panel" aria-labelledby="pa-title" data-testid="price-alerts">
      <h2 id="pa-title">Price alerts</h2>
      <form class="holding-form" onSubmit={submit}>
        <label>Coin<input list="pa-symbols" value={symbol()} onInput={(e) => setSymbol(e.currentTarget.value)} required /></label>
        <datalist id="pa-symbols"><For each={app.live.symbols().slice(0, 500)}>{(s) => <option value={s} />}</For></datalist>
        <label>When
          <select class="select" value={kind()} onChange={(e) => setKind(e.currentTarget.value as AlertKind)}>
            <option value="above">price above</option>
            <option value="below">price below</option>
            <option value="move">moves ±%</option>
          </select>
        </label>
        <label>{kind() === "move" ? "Percent" : "Price"}<input inputMode="decimal" value={value()} onInput={(e) => setValue(e.currentTarget.value)} required /></label>
        <Show when={kind() === "move"}>
          <label>Within (min)<input inputMode="numeric" value={minutes()} onInput={(e) => setMinutes(e.currentTarget.value)} /></label>
        </Show>
        <button type="submit" class="btn">Add alert</button>
        <p class="error" role="alert">{error()}</p>
      </form>
      <ul class="feed">
        <For each={app.priceRules()}>
          {(r) => (
            <li class="feed-item rule">
              <span>{describeRule(r)}</span>
              <button type="button" class="btn ghost small" onClick={() => app.removePriceRule(r.id)} aria-label={`Remove alert: ${describeRule(r)}`}>✕</button>
            </li>
          )}
        </For>
      </ul>
      <Show when={app.firedAlerts().length}>
        <h3>Fired</h3>
        <ul class="feed" aria-live="polite">
          <For each={app.firedAlerts()}>{(f) => <li class="feed-item"><span class="muted">{fmt.time(f.at)}</span><span>{f.message}</span></li>}</For>
        </ul>
      </Show>
    </section>
  );
}
