/**
 * The upstream connections of one venue inside a shard: turns the owned product set
 * into connections of at most `cap` products (placement.ts), keeps sockets whose
 * products stay, opens and closes the rest, and queues the (un)subscribe changes on
 * the shard's flusher.
 */
import type { IPolicy } from "cockatiel";
import type { Clock } from "../runtime/mod.ts";
import { type ConnectionOptions, UpstreamConnection } from "./connection.ts";
import { matchSockets, placeProducts } from "./placement.ts";
import { Slot, type SubscriptionFlusher } from "./subscriptions.ts";
import { TokenBucket } from "../../lib/platform/token-bucket.ts";
import type { VenueProtocol } from "./venues.ts";

export interface VenueSocketsOptions {
  shardId: string;
  protocol: VenueProtocol;
  url: string;
  localAddress?: string;
  cap: number;
  staleMs: number;
  connectTimeoutMs: number;
  shortSessionPauseMs: number;
  policy: IPolicy;
  clock: Clock;
  flusher: SubscriptionFlusher;
  onFrame: (slot: Slot, raw: string) => void;
  /** A subscribe for these products was sent (new stream: reset sequence baselines, books); `id` is its request id. */
  onSubscribed: (products: readonly string[], slot: Slot, id: number) => void;
  onReconnect?: (slot: Slot, why: string) => void;
  /** See ConnectionOptions.maxSessionMs (Binance: 24 h). */
  maxSessionMs?: number;
  /** Connection attempts allowed (Binance: 300 per 5 minutes per IP): every open takes one. */
  connectBudget?: TokenBucket;
  /** The venue's handshake refusals (429/418 + Retry-After), shared by its connections. */
  gate?: ConnectionOptions["gate"];
  /** The connect budget is the subscribe bucket: the token an open took pays for its first subscribe. */
  prepaidSubscribe?: boolean;
}

interface Entry {
  slot: Slot;
  conn: UpstreamConnection;
}

export class VenueSockets {
  private readonly entries = new Map<string, Entry>();
  private readonly byProduct = new Map<string, Entry>();
  private nextId = 0;

  /** Messages of one subscribe request (Coinbase Advanced Trade: one per channel). */
  private readonly perRequest: number;

  constructor(private readonly o: VenueSocketsOptions) {
    this.perRequest = o.protocol.messagesPerRequest ?? 1;
    o.flusher.messagesPerRequest = Math.max(o.flusher.messagesPerRequest, this.perRequest);
  }

  get venue(): string {
    return this.o.protocol.venue;
  }

  /** Products currently assigned, across all connections. */
  products(): string[] {
    return [...this.byProduct.keys()];
  }

  connections(): Array<{ id: string; open: boolean; products: string[] }> {
    return [...this.entries.values()].map((e) => ({ id: e.slot.id, open: e.conn.isOpen(), products: [...e.slot.products].sort() }));
  }

  /** Make the connections carry exactly `products`. Returns what was added and removed. */
  apply(products: readonly string[]): { added: string[]; removed: string[] } {
    const want = new Set(products);
    const added = products.filter((p) => !this.byProduct.has(p));
    const removed = [...this.byProduct.keys()].filter((p) => !want.has(p));
    const plan = placeProducts(want, this.o.cap);
    const current = new Map([...this.entries].map(([id, e]) => [id, e.slot.products as ReadonlySet<string>]));
    const match = matchSockets(plan, current);
    const keep = new Set(match.values());
    // Sockets no plan entry kept are closed: closing drops their subscriptions.
    for (const [id, e] of this.entries) {
      if (keep.has(id)) continue;
      this.o.flusher.forget(e.slot);
      e.conn.close();
      this.entries.delete(id);
    }
    this.byProduct.clear();
    for (const [key, ps] of plan) {
      const id = match.get(key);
      const e = id !== undefined ? this.entries.get(id)! : this.open();
      const next = new Set(ps);
      for (const p of [...e.slot.products]) if (!next.has(p)) e.slot.remove(p);
      for (const p of ps) {
        e.slot.add(p);
        this.byProduct.set(p, e);
      }
      if (e.slot.dirty()) this.o.flusher.mark(e.slot);
    }
    return { added, removed };
  }

  /** Unsubscribe and subscribe a product again on its connection. */
  resubscribe(product: string): void {
    const e = this.byProduct.get(product);
    if (!e) return;
    e.slot.resubscribe(product);
    this.o.flusher.mark(e.slot);
  }

  /** Best-effort unsubscribe of everything, taking tokens only while some are left. */
  unsubscribeAll(take: (n?: number) => boolean): void {
    for (const e of this.entries.values()) {
      for (const p of [...e.slot.products]) e.slot.remove(p);
      if (e.conn.isOpen()) e.slot.flush(take);
    }
  }

  closeAll(): void {
    for (const e of this.entries.values()) {
      this.o.flusher.forget(e.slot);
      e.conn.close();
    }
    this.entries.clear();
    this.byProduct.clear();
  }

  private open(): Entry {
    const id = `${this.o.shardId}/${this.o.protocol.venue}-${this.nextId++}`;
    const p = this.o.protocol;
    let slot!: Slot;
    const conn = new UpstreamConnection({
      id,
      url: this.o.url,
      ...(this.o.localAddress ? { localAddress: this.o.localAddress } : {}),
      staleMs: this.o.staleMs,
      connectTimeoutMs: this.o.connectTimeoutMs,
      shortSessionPauseMs: this.o.shortSessionPauseMs,
      policy: this.o.policy,
      clock: this.o.clock,
      ...(this.o.maxSessionMs ? { maxSessionMs: this.o.maxSessionMs } : {}),
      ...(this.o.gate ? { gate: this.o.gate } : {}),
      ...(this.o.connectBudget ? { connectBudget: this.connectBudget(this.o.connectBudget) } : {}),
      onOpen: () => {
        slot.opened();
        if (this.o.prepaidSubscribe) slot.prepaid = Math.min(this.perRequest, this.o.connectBudget?.burst ?? this.perRequest);
        this.o.flusher.mark(slot);
      },
      onFrame: (raw) => this.o.onFrame(slot, raw),
      onClose: (_c, why) => this.o.onReconnect?.(slot, why),
    });
    const limit = p.maxMessagesPerSecond ? new TokenBucket(p.maxMessagesPerSecond, p.maxMessagesPerSecond, this.o.clock) : undefined;
    slot = new Slot(id, conn, p, (ps, req) => this.o.onSubscribed(ps, slot, req), limit);
    const e = { slot, conn };
    this.entries.set(id, e);
    conn.start();
    return e;
  }

  /** With a prepaid subscribe, an open takes the tokens of its whole first request. */
  private connectBudget(b: TokenBucket): { tryTake(): boolean; msUntil(): number } {
    if (!this.o.prepaidSubscribe || this.perRequest === 1) return b;
    const n = Math.min(this.perRequest, b.burst);
    return { tryTake: () => b.tryTake(n), msUntil: () => b.msUntil(n) };
  }
}
