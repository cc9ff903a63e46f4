/** Connection status dot and label: connected / reconnecting / offline. */
import { app } from "../state/app.ts";

const LABEL = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…", offline: "Offline" } as const;

export default function StatusIndicator() {
  const latency = () => {
    const ts = app.lastFrameTs();
    return ts === undefined ? "" : ` · data ${Math.max(0, Date.now() - ts)} ms old`;
  };
  return (
    <span class={`status status-${app.status()}`} role="status" data-status={app.status()} title={`${LABEL[app.status()]}${latency()}`}>
      <span class="dot" aria-hidden="true" />
      {LABEL[app.status()]}
    </span>
  );
}
