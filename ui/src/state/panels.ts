/**
 * The small market-wide rooms as signals: movers, topcoins, pulse (and the window
 * before the current one), markets (the coin directory) and alerts (batched to the flush).
 */
import { createSignal } from "solid-js";
import type { AlertData, MoversData, PulseData, TopCoinsData } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { AlertFeed } from "../core/alerts.ts";
import { CoinDirectory } from "../core/coins.ts";
import { withArrays } from "../core/frames.ts";

export function createPanels(request: () => void) {
  const feed = new AlertFeed(100);
  /** CoinGecko's names, ranks, caps and sparklines (room `markets`); `coinsVersion` bumps on each. */
  const coins = new CoinDirectory();
  const [coinsVersion, setCoinsVersion] = createSignal(0);
  const [movers, setMovers] = createSignal<MoversData>();
  const [topcoins, setTopcoins] = createSignal<TopCoinsData>();
  const [pulse, setPulse] = createSignal<PulseData>();
  /** The pulse window before the current one (what changed). */
  const [pulsePrev, setPulsePrev] = createSignal<PulseData>();
  const [alerts, setAlerts] = createSignal<readonly AlertData[]>([]);
  let alertsDirty = false;

  return {
    coins, coinsVersion, movers, topcoins, pulse, pulsePrev, alerts,
    /** Show alerts that arrived since the last flush. */
    flush(): void {
      if (!alertsDirty) return;
      alertsDirty = false;
      setAlerts([...feed.list()]);
    },
    /** A payload of one of these rooms; false for any other room. */
    route(room: string, data: unknown): boolean {
      if (room === rooms.movers) {
        const m = withArrays<MoversData>(data, "gainers", "losers");
        if (m) setMovers(m);
      } else if (room === rooms.topcoins) {
        const t = withArrays<TopCoinsData>(data, "coins");
        if (t) setTopcoins(t);
      } else if (room === rooms.markets) {
        if (coins.apply(data)) setCoinsVersion((v) => v + 1);
      } else if (room === rooms.pulse) {
        const p = withArrays<PulseData>(data, "coins");
        const cur = pulse();
        if (p && cur && p.windowStart > cur.windowStart) setPulsePrev(cur);
        if (p) setPulse(p);
      } else if (room === rooms.alerts) {
        if (feed.add(data)) { alertsDirty = true; request(); }
      } else {
        return false;
      }
      return true;
    },
  };
}
