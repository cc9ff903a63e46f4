/**
 * Browser wiring of the dashboard: the WebSocket URL (same origin `/ws`, or `?ws=`) and
 * the lake's `/candles` beside it, a replay (`?replay=`),
 * localStorage, and the browser's online/visibility events. Everything else lives in
 * dashboard.ts.
 */
import type { SocketLike } from "../core/connection.ts";
import { candlesUrl, lakeFetcher } from "../core/lake.ts";
import { createDashboard } from "./dashboard.ts";

/** `?ws=` wins; otherwise ws(s)://<this host>/ws. */
export function wsUrl(loc: Location = location): string {
  const override = new URLSearchParams(loc.search).get("ws");
  if (override) return override;
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}

/** `?replay=<id>`: watch a `tickflow replay` instead of the live rooms (same rule as lib/lake/replay-query.ts REPLAY_ID). */
export function replayId(loc: Location = location): string | undefined {
  const id = new URLSearchParams(loc.search).get("replay");
  return id && /^[a-z0-9]{1,16}$/.test(id) ? id : undefined;
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const url = wsUrl();
export const app = createDashboard({
  url,
  fetchLake: lakeFetcher(candlesUrl(url), (u) => fetch(u)),
  replayId: replayId(),
  createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  storage: storage(),
  notify: (f) => {
    try {
      if (typeof Notification !== "undefined" && Notification.permission === "granted") new Notification("Tickflow price alert", { body: f.message, tag: f.ruleId });
    } catch { /* notifications unavailable: the in-page entry remains */ }
  },
});

window.addEventListener("online", () => app.reconnectNow());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") app.reconnectNow();
});
