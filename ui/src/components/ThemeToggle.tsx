/** Switches between the dark and the light theme. */
import { setTheme, theme } from "../theme.ts";

export default function ThemeToggle() {
  const next = () => (theme() === "dark" ? "light" : "dark");
  return (
    <button type="button" class="btn ghost" onClick={() => setTheme(next())} aria-label={`Switch to ${next()} theme`} title={`Switch to ${next()} theme`}>
      {theme() === "dark" ? "☀" : "☾"}
    </button>
  );
}
