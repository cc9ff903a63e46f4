/** Dark/light theme: follows the OS until the user picks one, then remembers it. */
import { createSignal } from "solid-js";

export type Theme = "dark" | "light";
const KEY = "tickflow.theme";

function initial(): Theme {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === "dark" || saved === "light") return saved;
  } catch { /* storage disabled */ }
  return matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

const [theme, setThemeSignal] = createSignal<Theme>(initial());
document.documentElement.dataset.theme = theme();

export { theme };

export function setTheme(t: Theme): void {
  // Attribute first: effects of the signal read the new theme's CSS variables.
  document.documentElement.dataset.theme = t;
  setThemeSignal(t);
  try { localStorage.setItem(KEY, t); } catch { /* ignore */ }
}

/** A CSS custom property of the current theme (for chart colours). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
