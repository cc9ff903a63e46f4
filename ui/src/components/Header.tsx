/** App header: name, navigation, replay mark, connection status and theme switch. */
import NavTabs from "./NavTabs.tsx";
import PrefsMenu from "./PrefsMenu.tsx";
import ReplayBadge from "./ReplayBadge.tsx";
import StatusIndicator from "./StatusIndicator.tsx";
import ThemeToggle from "./ThemeToggle.tsx";

export default function Header() {
  return (
    <header class="header">
      <a class="brand" href="#/markets"><span aria-hidden="true">◆</span> Tickflow</a>
      <NavTabs />
      <div class="header-right">
        <ReplayBadge />
        <StatusIndicator />
        <PrefsMenu />
        <ThemeToggle />
      </div>
    </header>
  );
}
