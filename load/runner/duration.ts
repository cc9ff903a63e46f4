/**
 * k6 duration strings ("30s", "1m30s", "500ms", "2h", "1.5s") to milliseconds, and back
 * for display.
 */

export class DurationError extends RangeError {
  override name = "DurationError";
}

const PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/** Milliseconds of a k6 duration; a bare number means seconds (as `k6 run --duration 30`). */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(`bad duration ${input}: expected a non-negative number`);
    return input * 1000;
  }
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(PART)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== s.length || s.length === 0) {
    throw new DurationError(`bad duration ${JSON.stringify(input)}: expected e.g. "30s", "1m30s", "500ms"`);
  }
  return total;
}

/** "1m05.3s"-style display, like k6's progress bar. */
export function formatDuration(ms: number): string {
  const neg = ms < 0;
  ms = Math.abs(ms);
  const m = Math.floor(ms / 60_000);
  const s = (ms - m * 60_000) / 1000;
  return `${neg ? "-" : ""}${m}m${s.toFixed(1).padStart(4, "0")}s`;
}
