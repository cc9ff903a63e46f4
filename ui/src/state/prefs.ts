/**
 * Display preferences, saved in localStorage: a colour-blind-safe palette (blue for up,
 * orange for down instead of green/red) and an up/down colour swap (red for up, as in
 * East Asian markets). Both are applied as attributes on <html>, so CSS variables
 * (`--up`, `--down`, …) change everywhere at once, charts included.
 */
import { createSignal } from "solid-js";

export type Palette = "standard" | "colorblind";
const KEY = "tickflow.prefs";

interface Saved { palette: Palette; swap: boolean }

function load(): Saved {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Saved>;
    return { palette: v.palette === "colorblind" ? "colorblind" : "standard", swap: v.swap === true };
  } catch {
    return { palette: "standard", swap: false };
  }
}

const first = load();
const [palette, setPaletteSignal] = createSignal<Palette>(first.palette);
const [swap, setSwapSignal] = createSignal(first.swap);

function apply(): void {
  const el = document.documentElement;
  el.dataset.palette = palette();
  el.dataset.updown = swap() ? "swap" : "normal";
  try { localStorage.setItem(KEY, JSON.stringify({ palette: palette(), swap: swap() })); } catch { /* storage disabled */ }
}
apply();

export const prefs = {
  palette,
  swap,
  setPalette(p: Palette): void {
    setPaletteSignal(p);
    apply();
  },
  setSwap(s: boolean): void {
    setSwapSignal(s);
    apply();
  },
};
