/** Colour preferences: colour-blind palette and up/down colour swap (saved). */
import { prefs } from "../state/prefs.ts";

export default function PrefsMenu() {
  return (
    <div class="prefs" role="group" aria-label="Colour preferences">
      <label class="check small">
        <input type="checkbox" checked={prefs.palette() === "colorblind"} onChange={(e) => prefs.setPalette(e.currentTarget.checked ? "colorblind" : "standard")} />
        Colour-blind
      </label>
      <label class="check small">
        <input type="checkbox" checked={prefs.swap()} onChange={(e) => prefs.setSwap(e.currentTarget.checked)} />
        Red = up
      </label>
    </div>
  );
}
