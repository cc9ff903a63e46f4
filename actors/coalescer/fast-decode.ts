/**
 * TickBatch decoding on the hot path (every tick message the coalescer and the ranker
 * read). The zod schema in lib/contracts/messages.ts stays the contract: this check
 * accepts exactly what `TickBatch` accepts (tested side by side in
 * fast-decode.test.ts), in about a third of the time, because it only checks types
 * instead of building a parsed copy. When it rejects, zod is asked for the error text.
 */
import { decode, type Decoded } from "../../lib/contracts/codec.ts";
import { TickBatch } from "../../lib/contracts/messages.ts";

const dec = new TextDecoder();

const OPTIONAL_NUMS = ["bid", "ask", "bidSize", "askSize", "open24h", "high24h", "low24h", "volume24h", "lastSize"] as const;

const isFiniteNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isMs = (x: unknown): boolean => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

function isTick(t: unknown): boolean {
  if (typeof t !== "object" || t === null || Array.isArray(t)) return false;
  const o = t as Record<string, unknown>;
  if (typeof o.venue !== "string" || o.venue.length === 0) return false;
  if (typeof o.symbol !== "string" || o.symbol.length === 0) return false;
  if (!isFiniteNum(o.price) || !isMs(o.exchTs) || !isMs(o.recvTs) || !isMs(o.seq)) return false;
  for (const k of OPTIONAL_NUMS) {
    const v = o[k];
    if (v !== undefined && !isFiniteNum(v)) return false;
  }
  return true;
}

/** Same result as `decode(TickBatch, bytes)` for valid input (unknown keys are kept, not stripped). */
export function decodeTickBatch(bytes: Uint8Array): Decoded<TickBatch> {
  let raw: unknown;
  try {
    raw = JSON.parse(dec.decode(bytes));
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  const b = raw as { v?: unknown; ticks?: unknown };
  if (typeof raw === "object" && raw !== null && b.v === 1 && Array.isArray(b.ticks) && b.ticks.length > 0 && b.ticks.every(isTick)) {
    return { ok: true, value: raw as TickBatch };
  }
  return decode(TickBatch, bytes);
}
