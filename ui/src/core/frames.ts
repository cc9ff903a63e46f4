/**
 * Parsing of server frames without zod: the schemas in lib/contracts/protocol.ts are the source
 * of truth, but bundling zod would cost more than the whole app, so the dashboard
 * imports only their types and checks the few fields it relies on here.
 */
import type { ServerFrame, TickerData } from "../../../lib/contracts/protocol.ts";

/** A frame the dashboard cannot use (bad JSON, unknown type, wrong field types). */
export class FrameError extends Error {
  override name = "FrameError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
export const isFrameError = (e: unknown): e is FrameError => e instanceof FrameError;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === "string";

/** Parse one text frame. Throws a FrameError describing what was wrong. */
export function parseServerFrame(text: string): ServerFrame {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (cause) {
    throw new FrameError("frame is not JSON", { cause });
  }
  if (!isObj(v)) throw new FrameError("frame is not an object");
  switch (v.type) {
    case "snapshot":
    case "update":
      if (!isStr(v.room) || !isNum(v.seq) || !isNum(v.ts) || !("data" in v)) {
        throw new FrameError(`${v.type} frame needs room, seq, ts and data`);
      }
      break;
    case "hello":
      if (!isStr(v.server) || !isObj(v.limits)) throw new FrameError("hello frame needs server and limits");
      break;
    case "resync":
      if (!isStr(v.room) || !isStr(v.reason)) throw new FrameError("resync frame needs room and reason");
      break;
    case "error":
      if (!isStr(v.code) || !isStr(v.message)) throw new FrameError("error frame needs code and message");
      break;
    case "pong":
      break;
    case "history":
      if (!isStr(v.room) || !Array.isArray(v.data)) throw new FrameError("history frame needs room and a data array");
      break;
    default:
      throw new FrameError(`unknown frame type ${JSON.stringify(v.type)}`);
  }
  return v as ServerFrame;
}

/** True when `v` carries what a price row needs (symbol, finite price, exchTs). */
export function isTicker(v: unknown): v is TickerData {
  return isObj(v) && isStr(v.symbol) && isNum(v.price) && isNum(v.exchTs);
}

/** The tickers of a `ticker.all` payload, skipping malformed entries. */
export function tickersOf(data: unknown): TickerData[] {
  if (!isObj(data) || !Array.isArray(data.tickers)) return [];
  return (data.tickers as unknown[]).filter(isTicker);
}

/** `data` as an object whose listed keys are arrays, or undefined. */
export function withArrays<T>(data: unknown, ...keys: string[]): T | undefined {
  if (!isObj(data)) return undefined;
  for (const k of keys) if (!Array.isArray(data[k])) return undefined;
  return data as T;
}
