/**
 * JSON encoding of bus messages with schema validation on the way in.
 *
 * Readers never throw on a bad message: {@link decode} returns a result, so a consumer
 * can count the bad message, ack it (or term it) and go on without blocking.
 */
import type { z } from "zod";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encode<T>(value: T): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parse and validate; the error names the first offending path. */
export function decode<S extends z.ZodType>(schema: S, bytes: Uint8Array | string): Decoded<z.infer<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === "string" ? bytes : dec.decode(bytes));
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid message" };
}
