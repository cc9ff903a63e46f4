/**
 * `ticker.all`: one room, one writer. The coalescer that owns the membership key
 * "ticker.all" publishes it; each message carries the tickers that changed during one
 * coalescing interval, across all partitions. Its own partitions' tickers it adds
 * directly; other partitions' it learns from their `room.ticker.<SYMBOL>` messages
 * (already coalesced, so at most one per symbol per interval).
 *
 * Client contract: apply every `ticker.all` update's tickers (upsert by symbol). A
 * snapshot of `ticker.all` is only the last interval's changes; a client that needs
 * every symbol at once subscribes to their `ticker.<SYMBOL>` rooms.
 */
import type { TickerData } from "../../lib/contracts/protocol.ts";
import { RoomEnvelope } from "../../lib/contracts/rooms.ts";
import { TickerData as TickerDataSchema } from "../../lib/contracts/protocol.ts";

const dec = new TextDecoder();

/** The TickerData of a `room.ticker.<SYMBOL>` message, or undefined if it is not one. */
export function tickerOfRoomMessage(bytes: Uint8Array): TickerData | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(dec.decode(bytes));
  } catch {
    return undefined;
  }
  const env = RoomEnvelope.safeParse(raw);
  if (!env.success || !env.data.room.startsWith("ticker.") || env.data.room === "ticker.all") return undefined;
  const data = TickerDataSchema.safeParse(env.data.data);
  return data.success ? data.data : undefined;
}

/** Changed tickers collected for the next `ticker.all` message; the latest per symbol wins. */
export class TickerAllBuffer {
  #pending = new Map<string, TickerData>();

  add(t: TickerData): void {
    this.#pending.set(t.symbol, t);
  }

  get size(): number {
    return this.#pending.size;
  }

  /** The buffered tickers (sorted by symbol, for stable output); the buffer is empty afterwards. */
  take(): TickerData[] {
    const out = [...this.#pending.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    this.#pending = new Map();
    return out;
  }

  /** Put tickers back after a failed publish, unless newer ones arrived meanwhile. */
  restore(ts: TickerData[]): void {
    for (const t of ts) if (!this.#pending.has(t.symbol)) this.#pending.set(t.symbol, t);
  }

  clear(): void {
    this.#pending.clear();
  }
}
