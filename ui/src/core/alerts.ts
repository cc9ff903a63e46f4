/** The alerts feed: newest first, de-duplicated by id (replays overlap), capped. */
import type { AlertData } from "../../../lib/contracts/protocol.ts";
import { baseOf } from "./coins.ts";

/** "BTC surged …" shown after the BTC-USD link reads as "surged …" (the symbol is not repeated). */
export function withoutCoin(message: string, symbol: string): string {
  for (const p of [`${symbol} `, `${baseOf(symbol)} `]) if (message.startsWith(p)) return message.slice(p.length);
  return message;
}

export function isAlert(v: unknown): v is AlertData {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Record<string, unknown>;
  return typeof a.id === "string" && typeof a.symbol === "string" && typeof a.message === "string" && typeof a.at === "number";
}

export class AlertFeed {
  private items: AlertData[] = [];
  private readonly ids = new Set<string>();

  constructor(private readonly max = 100) {}

  /** Add an alert; returns false for a duplicate or malformed one. */
  add(a: unknown): boolean {
    if (!isAlert(a) || this.ids.has(a.id)) return false;
    this.ids.add(a.id);
    // Usually the newest: insert at the front; replays may be older, so find the slot.
    let i = 0;
    while (i < this.items.length && this.items[i]!.at > a.at) i++;
    this.items.splice(i, 0, a);
    while (this.items.length > this.max) this.ids.delete(this.items.pop()!.id);
    return true;
  }

  list(): readonly AlertData[] {
    return this.items;
  }
}
