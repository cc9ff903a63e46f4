/**
 * k6 duration strings ("30s", "1m30s", "500ms", "2h", "1.5s") to milliseconds (the one
 * parser, lib/platform/duration.ts: a bare number means milliseconds), and back for display.
 */

export { DurationError, parseDuration } from "../../lib/platform/duration.ts";

/** "1m05.3s"-style display, like k6's progress bar. */
export function formatDuration(ms: number): string {
  const neg = ms < 0;
  ms = Math.abs(ms);
  const m = Math.floor(ms / 60_000);
  const s = (ms - m * 60_000) / 1000;
  return `${neg ? "-" : ""}${m}m${s.toFixed(1).padStart(4, "0")}s`;
}
