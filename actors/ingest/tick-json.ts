/**
 * TickBatch encoding without turning the venue's decimals back into text: a tick's
 * prices and sizes arrive as decimal strings, are read with `Number()` for the checks,
 * and `JSON.stringify` would then format each double again (the costliest step of
 * encoding, ~0.4 µs a number). The normaliser keeps the strings that are valid JSON
 * numbers as they are ({@link TickDecimals}), and {@link encodeTickBatch} writes them
 * straight into the message. The bytes may differ from `JSON.stringify` (`"1.50"`
 * stays `1.50`), the decoded message is the same: a JSON number and `Number()` of the
 * same text are the same double (tick-json.test.ts).
 */
import type { Tick } from "../../lib/contracts/messages.ts";

/** Numeric Tick fields read from venue decimals (never changed after normalising). */
export type DecimalField = "price" | "bid" | "ask" | "bidSize" | "askSize" | "open24h" | "high24h" | "low24h" | "volume24h" | "lastSize";
/** The source text of a tick's decimal fields, each a JSON number whose value is the field's. */
export type TickDecimals = Partial<Record<DecimalField, string>>;

/** RFC 8259 number. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * Set `tick[field] = Number(s)` and remember `s` in `dec` when JSON can carry it as it
 * is (a JSON number, finite: `JSON.stringify` writes a non-finite number as null; not
 * -0, which `JSON.stringify` writes as 0).
 */
export function setDecimal(tick: Tick, dec: TickDecimals, field: DecimalField, s: string): void {
  const n = Number(s);
  tick[field] = n;
  if (Number.isFinite(n) && !Object.is(n, -0) && JSON_NUMBER.test(s)) dec[field] = s;
}

const enc = new TextEncoder();

/** One tick as JSON: the same keys in the same order as `JSON.stringify(tick)`, decimals as received. */
export function tickJson(t: Tick, dec: TickDecimals | undefined): string {
  if (dec === undefined) return JSON.stringify(t);
  let s = "";
  for (const k in t) {
    const v = (t as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const d = typeof v === "number" ? dec[k as DecimalField] : undefined;
    // Tick keys are plain identifiers: no escaping needed.
    s += (s === "" ? '{"' : ',"') + k + '":' + (d ?? JSON.stringify(v));
  }
  return s === "" ? "{}" : s + "}";
}

/** `encode({ v: 1, ticks })` (lib/contracts/codec.ts), decimals written as received. */
export function encodeTickBatch(ticks: readonly Tick[], decs: ReadonlyArray<TickDecimals | undefined>): Uint8Array {
  let s = '{"v":1,"ticks":[';
  for (let i = 0; i < ticks.length; i++) s += (i === 0 ? "" : ",") + tickJson(ticks[i]!, decs[i]);
  return enc.encode(s + "]}");
}
