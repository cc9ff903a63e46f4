/**
 * Connection status dot and label: connected / reconnecting / offline, and "Delayed"
 * while connected but no update arrived for 3 × the expected interval (live.ts): "Live"
 * only while data is fresh.
 */
import { app } from "../state/app.ts";

const LABEL = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…", offline: "Offline" } as const;

export default function StatusIndicator() {
  const latency = () => {
    const ts = app.lastFrameTs();
    return ts === undefined ? "" : ` · data ${Math.max(0, Date.now() - ts)} ms old`;
  };
  const delayed = () => (app.status() === "connected" ? app.live.delayedFor() : undefined);
  const state = () => (delayed() !== undefined ? "delayed" : app.status());
  const label = () => {
    const d = delayed();
    return d !== undefined ? `Delayed — no updates for ${d} s` : LABEL[app.status()];
  };
  return (
    <span class={`status status-${state()}`} role="status" data-status={state()} title={`${label()}${latency()}`}>
      <span class="dot" aria-hidden="true" />
      {label()}
    </span>
  );
}
