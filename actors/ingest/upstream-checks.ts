/**
 * Checks on what the venues send back, beside the per-product sequences:
 *
 * - Subscription acks: every product of a subscribe must be confirmed — listed by a
 *   Coinbase `subscriptions` reply, or its Binance request id answered `{"result":null}` —
 *   within `ackTimeoutMs`. A Binance error reply refuses its request at once; anything
 *   else unconfirmed in time is refused too. A refused product is logged, counted
 *   (`ingest_refused_products_total`) and listed in the shard status, not silently missing.
 * - Connection sequences (Coinbase Advanced Trade `sequence_num`, per connection,
 *   from 0): a jump means messages were lost on that connection.
 * - Clock skew: an exchange time further than `maxSkewMs` from the receive time is
 *   counted (`ingest_clock_skew_total`) and replaced by the receive time, so a venue
 *   with a wrong clock cannot put ticks into the future or the past.
 */
import { getLogger } from "@logtape/logtape";
import type { Metrics } from "../../lib/platform/metrics.ts";
import type { Clock, TimerHandle } from "../runtime/mod.ts";

export interface UpstreamChecksOptions {
  clock: Clock;
  metrics: Metrics;
  labels: Record<string, string>;
  maxSkewMs: number;
  ackTimeoutMs: number;
}

interface Request {
  venue: string;
  slot: string;
  id: number;
  at: number;
  products: Set<string>;
}

const LISTED = 20;

export class UpstreamChecks {
  private readonly log = getLogger(["tickflow", "ingest", "checks"]);
  private readonly m;
  /** Requests not (fully) confirmed yet, oldest first. */
  private readonly pending: Request[] = [];
  private readonly refusedBy = new Map<string, Set<string>>();
  private readonly connSeqs = new Map<string, number>();
  private timer: TimerHandle | undefined;
  skewed = 0;

  constructor(private readonly o: UpstreamChecksOptions) {
    this.m = {
      refused: o.metrics.counter("ingest_refused_products_total", "products a venue refused or never confirmed after a subscribe"),
      skew: o.metrics.counter("ingest_clock_skew_total", "frames whose exchange time was further than MAX_CLOCK_SKEW_MS from the receive time (replaced by it)"),
      connGaps: o.metrics.counter("ingest_connection_gaps_total", "jumps in a connection's message sequence (Coinbase Advanced Trade sequence_num)"),
    };
  }

  /** A subscribe of `products` went out on `slot` as request `id`. */
  requested(venue: string, slot: string, id: number, products: readonly string[]): void {
    const set = new Set(products);
    for (const p of products) this.refusedBy.get(venue)?.delete(p);
    this.pending.push({ venue, slot, id, at: this.o.clock.now(), products: set });
    this.arm();
  }

  /** An ack arrived on `slot`: products it lists, or the request id it answers. */
  acked(slot: string, ack: { products?: readonly string[]; id?: number }): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const r = this.pending[i]!;
      if (r.slot !== slot) continue;
      if (ack.id !== undefined) {
        if (r.id === ack.id) r.products.clear();
      } else for (const p of ack.products ?? []) r.products.delete(p);
      if (r.products.size === 0) this.pending.splice(i, 1);
    }
  }

  /** An error reply: with a request id, that request's products are refused now. */
  errored(slot: string, id: number | undefined, message: string): void {
    if (id === undefined) return;
    const i = this.pending.findIndex((r) => r.slot === slot && r.id === id);
    if (i < 0) return;
    const [r] = this.pending.splice(i, 1);
    this.refuse(r!, message);
  }

  /** The connection closed: what it asked for is asked again after it reopens. */
  closed(slot: string): void {
    this.connSeqs.delete(slot);
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.slot === slot) this.pending.splice(i, 1);
  }

  /** A product left this shard: nothing to report about it any more. */
  forget(venue: string, product: string): void {
    this.refusedBy.get(venue)?.delete(product);
    for (const r of this.pending) if (r.venue === venue) r.products.delete(product);
  }

  /** Check unconfirmed requests against the timeout (also run by a timer). */
  sweep(): void {
    const now = this.o.clock.now();
    while (this.pending.length > 0 && now - this.pending[0]!.at >= this.o.ackTimeoutMs) {
      const r = this.pending.shift()!;
      if (r.products.size > 0) this.refuse(r, `not confirmed within ${this.o.ackTimeoutMs} ms`);
    }
  }

  /** Products subscribed and not confirmed yet. */
  unconfirmed(): number {
    let n = 0;
    for (const r of this.pending) n += r.products.size;
    return n;
  }

  /** Products refused per venue (count and the first few), for the status. */
  refused(): Record<string, { count: number; products: string[] }> {
    const out: Record<string, { count: number; products: string[] }> = {};
    for (const [venue, set] of this.refusedBy) if (set.size > 0) out[venue] = { count: set.size, products: [...set].sort().slice(0, LISTED) };
    return out;
  }

  /** The connection's message number `seq`; returns the missing range when it jumped. */
  connSeq(venue: string, slot: string, seq: number): { expected: number; got: number } | undefined {
    const last = this.connSeqs.get(slot);
    this.connSeqs.set(slot, seq);
    if (last === undefined || seq === last + 1) return undefined;
    if (seq <= last) return undefined; // a replay or a restart of the numbering: no loss to report
    this.m.connGaps.inc({ venue, ...this.o.labels });
    return { expected: last + 1, got: seq };
  }

  /** The exchange time to publish: `exchTs`, or `recvTs` when the two are further apart than the allowed skew. */
  time(venue: string, exchTs: number, recvTs: number): number {
    if (Math.abs(exchTs - recvTs) <= this.o.maxSkewMs) return exchTs;
    this.skewed++;
    this.m.skew.inc({ venue, ...this.o.labels });
    return recvTs;
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refuse(r: Request, why: string): void {
    if (r.products.size === 0) return;
    let set = this.refusedBy.get(r.venue);
    if (!set) this.refusedBy.set(r.venue, (set = new Set()));
    for (const p of r.products) set.add(p);
    this.m.refused.inc({ venue: r.venue, ...this.o.labels }, r.products.size);
    const list = [...r.products].sort();
    this.log.warn("{venue} refused {n} product(s) on {slot} ({why}): {products}", {
      venue: r.venue, n: list.length, slot: r.slot, why, products: list.slice(0, LISTED).join(", "),
    });
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.sweep();
      if (this.pending.length > 0) this.arm();
    }, Math.max(50, Math.ceil(this.o.ackTimeoutMs / 4)));
  }
}
