/**
 * Marks a replay (`?replay=<id>`): the dashboard then shows the past from the lake as if
 * live, and this badge says so, with the lake time of the newest tick shown.
 */
import { Show } from "solid-js";
import { app } from "../state/app.ts";

const clock = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";

export default function ReplayBadge() {
  return (
    <Show when={app.replayId}>
      <span class="replay-badge" role="note" data-replay={app.replayId} title="Replayed from the lake, not live data">
        Replay {app.replayId}
        <Show when={app.replayAt()}>{(t) => <> · <time data-replay-at={t()}>{clock(t())}</time></>}</Show>
      </span>
    </Show>
  );
}
