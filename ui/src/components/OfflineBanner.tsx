/**
 * Shown while the socket is down: prices on screen are the last known ones, marked
 * stale. After 5 minutes offline the automatic retries are 30 s apart, so a
 * "Reconnect now" button lets the user skip the wait. Also shown while connected but
 * delayed (no update for 3 × the expected interval): the link is up, the data is not.
 */
import { Show } from "solid-js";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";

export default function OfflineBanner() {
  const since = () => app.disconnectedAt();
  const delayed = () => (app.status() === "connected" ? app.live.delayedFor() : undefined);
  return (
    <>
      <Show when={app.status() === "reconnecting" || app.status() === "offline"}>
        <div class="banner" role="alert" data-testid="offline-banner">
          <span>
            <strong>{app.status() === "offline" ? "Offline." : "Connection lost — reconnecting."}</strong>{" "}
            Showing last known prices{since() !== undefined ? ` from ${fmt.time(since())}` : ""}; they are stale.
          </span>
          <Show when={app.status() === "offline"}>
            <button type="button" class="btn" onClick={() => app.reconnectNow()}>Reconnect now</button>
          </Show>
        </div>
      </Show>
      <Show when={delayed() !== undefined}>
        <div class="banner" role="alert" data-testid="delayed-banner">
          <span>
            <strong>Delayed — no updates for {delayed()} s.</strong>{" "}
            Connected, but no new prices arrive (the market feed may be interrupted); the prices shown are the last known ones.
          </span>
        </div>
      </Show>
    </>
  );
}
