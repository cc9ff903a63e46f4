/**
 * A shard's freshness: the newest frame per venue (heartbeats count: they prove the
 * socket is alive), the newest tick per owned product, and the newest JetStream ack
 * (output). A venue the shard owns products of is stale after STALE_MS without a frame;
 * products without a tick for STALE_MS are listed (a quiet product on a live venue is
 * reported, but does not make the shard stale: illiquid products can be quiet that long).
 */
import { Freshness } from "../freshness.ts";
import type { FreshnessReport } from "../../lib/contracts/host-protocol.ts";
import type { Clock } from "../runtime/mod.ts";

/** At most this many stale product names are listed; the count is always exact. */
const LIST_MAX = 20;

export class ShardFreshness {
  readonly f: Freshness;
  readonly #keys = new Map<string, string>();
  /** venue → product → time of its newest tick (or when it was first seen owned). */
  readonly #ticks = new Map<string, Map<string, number>>();

  constructor(private readonly clock: Clock, private readonly staleMs: number) {
    this.f = new Freshness("shard", clock, staleMs);
  }

  /** A frame (any frame) arrived from `venue`. */
  frame(venue: string): void {
    let k = this.#keys.get(venue);
    if (k === undefined) this.#keys.set(venue, (k = `in:${venue}`));
    this.f.mark(k);
  }

  /** A tick of `product` was accepted. */
  tick(venue: string, product: string, at = this.clock.now()): void {
    let m = this.#ticks.get(venue);
    if (!m) this.#ticks.set(venue, (m = new Map()));
    m.set(product, at);
  }

  /**
   * @param owned products owned now, per venue
   * @param lastAckAt time of the newest JetStream ack, if any
   */
  report(owned: Map<string, readonly string[]>, lastAckAt: number | undefined): FreshnessReport {
    const now = this.clock.now();
    if (lastAckAt !== undefined) this.f.mark("out", lastAckAt);
    let ownsAny = false;
    const staleProducts: string[] = [];
    let staleCount = 0;
    for (const [venue, products] of owned) {
      const key = `in:${venue}`;
      if (products.length > 0) {
        ownsAny = true;
        this.f.expect(key);
      } else this.f.unexpect(key);
      const ticks = this.#ticks.get(venue) ?? new Map<string, number>();
      this.#ticks.set(venue, ticks);
      const keep = new Set(products);
      for (const p of ticks.keys()) if (!keep.has(p)) ticks.delete(p);
      for (const p of products) {
        const at = ticks.get(p);
        if (at === undefined) ticks.set(p, now); // newly owned: its clock starts now
        else if (now - at > this.staleMs) {
          staleCount++;
          if (staleProducts.length < LIST_MAX) staleProducts.push(`${venue}:${p}`);
        }
      }
    }
    if (ownsAny) this.f.expect("out");
    else this.f.unexpect("out");
    this.f.detail("staleProducts", staleCount ? { count: staleCount, first: staleProducts } : undefined);
    return this.f.report();
  }
}
