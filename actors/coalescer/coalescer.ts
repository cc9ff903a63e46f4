/**
 * Coalescer logic, without a network: symbols are split into a fixed number of
 * partitions (rendezvous-hashed over live coalescers by the actor); this class keeps
 * the latest tick of every symbol in the partitions it owns and hands out, once per
 * coalescing interval, the tickers that changed.
 *
 * A partition is `pending` while its new owner loads the room state (last seq) and the
 * latest ticks from JetStream: ticks are kept but nothing is published yet. Once
 * `active`, its changed symbols are published.
 */
import { hash53 } from "../lease/mod.ts";
import type { Tick } from "../../lib/contracts/messages.ts";
import type { TickerData } from "../../lib/contracts/protocol.ts";
import { LatestTicks, tickerData } from "./ticker.ts";

/** Membership key of a partition, e.g. "p7". */
export const partitionKey = (p: number): string => `p${p}`;
/** Membership key of the single writer of `ticker.all`. */
export const TICKER_ALL_KEY = "ticker.all";

/** Partition of a symbol among `n` (stable across processes and restarts). */
export function partitionOf(symbol: string, n: number): number {
  return hash53(symbol) % n;
}

/** Symbol of a tick subject (the bus's parser: `md.tick.<venue>.<symbol>.p<k>`). */
export { symbolOfTickSubject } from "../../lib/contracts/subjects.ts";

export interface CoalescerOptions {
  /** Number of partitions (COALESCER_PARTITIONS); the same on every coalescer. */
  partitions: number;
  /** See LatestTicks; default 15000 ms. */
  degradedAfterMs?: number;
}

export interface TickerUpdate {
  symbol: string;
  data: TickerData;
}

type PartitionState = "pending" | "active";

export class Coalescer {
  readonly partitions: number;
  readonly latest: LatestTicks;
  readonly #owned = new Map<number, PartitionState>();
  readonly #partOf = new Map<string, number>();

  /** Throws RangeError unless `partitions` is an integer in 1..4096. */
  constructor(opts: CoalescerOptions) {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 4096) {
      throw new RangeError(`partitions must be an integer in 1..4096, got ${opts.partitions}`);
    }
    this.partitions = opts.partitions;
    this.latest = new LatestTicks(opts.degradedAfterMs);
  }

  /** Partition of a symbol (cached: this runs for every message). */
  partition(symbol: string): number {
    let p = this.#partOf.get(symbol);
    if (p === undefined) {
      p = partitionOf(symbol, this.partitions);
      this.#partOf.set(symbol, p);
    }
    return p;
  }

  /** True if the symbol's partition is owned (pending or active). */
  owns(symbol: string): boolean {
    return this.#owned.has(this.partition(symbol));
  }

  isActive(p: number): boolean {
    return this.#owned.get(p) === "active";
  }

  ownedPartitions(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** Offer a tick; ignored unless its partition is owned. True if it became the latest. */
  offer(t: Tick, now: number): boolean {
    if (!this.owns(t.symbol)) return false;
    return this.latest.offer(t, now);
  }

  /**
   * Set the owned partitions. New ones start `pending`; symbols of dropped ones are
   * forgotten at once (their new owner publishes them from now on).
   */
  assign(parts: Iterable<number>): { added: number[]; removed: number[] } {
    const want = new Set(parts);
    for (const p of want) {
      if (!Number.isInteger(p) || p < 0 || p >= this.partitions) throw new RangeError(`no partition ${p} (0..${this.partitions - 1})`);
    }
    const added: number[] = [];
    const removed: number[] = [];
    for (const p of this.#owned.keys()) if (!want.has(p)) removed.push(p);
    for (const p of want) if (!this.#owned.has(p)) added.push(p);
    if (removed.length > 0) {
      const gone = new Set(removed);
      for (const p of removed) this.#owned.delete(p);
      for (const s of [...this.latest.symbols()]) if (gone.has(this.partition(s))) this.latest.forget(s);
    }
    for (const p of added) this.#owned.set(p, "pending");
    return { added: added.sort((a, b) => a - b), removed: removed.sort((a, b) => a - b) };
  }

  /** Start publishing a pending partition (its room state is loaded). No-op if it is no longer owned. */
  activate(p: number): void {
    if (this.#owned.has(p)) this.#owned.set(p, "active");
  }

  /** Known symbols of a partition. */
  symbolsIn(p: number): string[] {
    const out: string[] = [];
    for (const s of this.latest.symbols()) if (this.partition(s) === p) out.push(s);
    return out;
  }

  /** The changed tickers of active partitions; they are clean afterwards (see `latest.markDirty` to retry). */
  take(): TickerUpdate[] {
    const out: TickerUpdate[] = [];
    for (const symbol of this.latest.dirty()) {
      if (!this.isActive(this.partition(symbol))) continue;
      const e = this.latest.get(symbol);
      if (e) out.push({ symbol, data: tickerData(e.tick) });
    }
    for (const u of out) this.latest.clean(u.symbol);
    return out;
  }
}
