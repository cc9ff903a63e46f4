/**
 * The one duration parser of Tickflow: settings (`v.duration()`), command lines (ops
 * lake, load runner, benchmarks) and k6 option strings all read durations through it.
 *
 *   parseDuration("1m30s") === 90_000; parseDuration("500ms") === 500; parseDuration("250") === 250
 *
 * A bare number means milliseconds everywhere (as in k6's own option parser). Units:
 * h, m, s, ms, us/µs, ns, combinable largest first ("1h30m", "1m05.5s").
 */

export class DurationError extends RangeError {
  override name = "DurationError";
}
export const isDurationError = (e: unknown): e is DurationError => e instanceof Error && e.name === "DurationError";

const PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/**
 * Milliseconds of a duration: a non-negative number of ms, or a string such as "30s",
 * "1m30s", "500ms", "2h", "250". Throws DurationError on anything else.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(`bad duration ${input}: expected a non-negative number of ms`);
    return input;
  }
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(PART)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== s.length || s.length === 0) {
    throw new DurationError(`bad duration ${JSON.stringify(input)}: expected e.g. "30s", "1m30s", "500ms" or a number of ms`);
  }
  return total;
}
