/**
 * Browser wiring of the dashboard: the WebSocket URL (same origin `/ws`, or `?ws=`),
 * localStorage, and the browser's online/visibility events. Everything else lives in
 * dashboard.ts.
 */
import type { SocketLike } from "../core/connection.ts";
import { createDashboard } from "./dashboard.ts";

/** `?ws=` wins; otherwise ws(s)://<this host>/ws. */
export function wsUrl(loc: Location = location): string {
  const override = new URLSearchParams(loc.search).get("ws");
  if (override) return override;
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export const app = createDashboard({
  url: wsUrl(),
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
