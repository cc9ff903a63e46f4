/** Adds a holding (symbol, quantity, cost per unit); validates before saving. */
import { For, createSignal } from "solid-js";
import { app } from "../state/app.ts";

export default function HoldingForm() {
  const [error, setError] = createSignal("");
  let form!: HTMLFormElement;
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    const data = new FormData(form);
    const symbol = String(data.get("symbol") ?? "").trim().toUpperCase();
    const quantity = Number(data.get("quantity"));
    const cost = Number(data.get("cost"));
    if (!/^[A-Z0-9_-]{1,40}$/.test(symbol)) return setError("Enter a symbol like BTC-USD (letters, digits and dashes).");
    if (!(quantity > 0)) return setError("Quantity must be a number above 0.");
    if (!(cost >= 0) || String(data.get("cost") ?? "") === "") return setError("Cost per unit must be 0 or more.");
    app.addHolding({ symbol, quantity, cost });
    setError("");
    form.reset();
  };
  return (
    <form class="holding-form" ref={form} onSubmit={submit} aria-describedby="holding-error">
      <label>Symbol<input name="symbol" list="symbol-list" required autocomplete="off" placeholder="BTC-USD" /></label>
      <datalist id="symbol-list"><For each={app.live.symbols()}>{(s) => <option value={s} />}</For></datalist>
      <label>Quantity<input name="quantity" type="number" step="any" min="0" required inputmode="decimal" /></label>
      <label>Cost per unit (USD)<input name="cost" type="number" step="any" min="0" required inputmode="decimal" /></label>
      <button type="submit" class="btn">Add holding</button>
      <p id="holding-error" class="error" role="alert">{error()}</p>
    </form>
  );
}
