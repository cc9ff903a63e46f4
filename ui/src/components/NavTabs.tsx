/** Top navigation between the dashboard's views. */
import { For } from "solid-js";
import { route, type View } from "../route.ts";

const TABS: Array<{ view: View; label: string }> = [
  { view: "markets", label: "Markets" },
  { view: "overview", label: "Overview" },
  { view: "coin", label: "Coin" },
  { view: "portfolio", label: "Portfolio" },
];

export default function NavTabs() {
  return (
    <nav aria-label="Views" class="tabs">
      <For each={TABS}>
        {(t) => (
          <a href={`#/${t.view}`} class="tab" aria-current={route().view === t.view ? "page" : undefined}>
            {t.label}
          </a>
        )}
      </For>
    </nav>
  );
}
