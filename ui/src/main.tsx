/** Entry: opens the connection, mounts the dashboard, prefetches the chart views. */
import { render } from "solid-js/web";
import App, { loadCoin, loadOverview } from "./App.tsx";
import { app } from "./state/app.ts";
import "./styles.css";

// Connect first: the socket handshake overlaps the first render.
app.start();
render(() => <App />, document.getElementById("root")!);

// First prices on screen: the "meaningful paint" the bench measures. Then, when the
// page is idle, fetch the chart chunk so switching views is instant.
const firstPrices = () => {
  if (app.live.symbols().length === 0) {
    setTimeout(firstPrices, 16);
    return;
  }
  requestAnimationFrame(() => {
    performance.mark("tf:first-prices");
    const idle = window.requestIdleCallback ?? ((fn: () => void) => setTimeout(fn, 500));
    idle(() => void Promise.all([loadOverview(), loadCoin()]));
  });
};
firstPrices();
