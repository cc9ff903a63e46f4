/**
 * Subscription bookkeeping of one upstream connection (a "slot") and the shard-wide
 * flusher that sends the changes: every subscribe/unsubscribe message takes a token
 * from one bucket (≤ 8/s by default), and changes that arrive within the batch window
 * leave together as one message per connection and direction.
 */
import type { Clock, TimerHandle } from "../runtime/mod.ts";
import type { TokenBucket } from "../../lib/platform/token-bucket.ts";

export interface SlotTransport {
  isOpen(): boolean;
  send(text: string): boolean;
  /** Drop the socket and open a new one (serverShutdown, a proactive reconnect). */
  reconnect?(reason: string): void;
}

export class Slot {
  /** Products this connection should carry. */
  readonly products = new Set<string>();
  /** Products the server was asked to send (subscribe sent, no unsubscribe since). */
  readonly live = new Set<string>();
  pendingAdd = new Set<string>();
  pendingRemove = new Set<string>();
  /**
   * Messages already paid for: a Coinbase socket takes its subscribe's token before it
   * opens (sockets are opened at the pace of the subscribe budget), so its first
   * subscribe goes out at once instead of queueing behind other sockets' (Coinbase
   * closes a socket that has not subscribed within 5 s).
   */
  prepaid = 0;
  private requestId = 0;

  constructor(
    readonly id: string,
    readonly transport: SlotTransport,
    private readonly encode: {
      subscribe(products: readonly string[], id: number): string | readonly string[];
      unsubscribe(products: readonly string[], id: number): string | readonly string[];
    },
    /** Called with the products (and request id) of each subscribe actually sent. */
    private readonly onSubscribed: (products: readonly string[], id: number) => void,
    /** Per-connection message limit on top of the shared one (Binance cuts a connection over 5 msgs/s). */
    readonly limit?: TokenBucket,
  ) {}

  add(p: string): void {
    this.products.add(p);
    this.pendingRemove.delete(p);
    if (!this.live.has(p)) this.pendingAdd.add(p);
  }

  remove(p: string): void {
    this.products.delete(p);
    this.pendingAdd.delete(p);
    if (this.live.has(p)) this.pendingRemove.add(p);
  }

  /** Unsubscribe and subscribe again (after a sequence gap). */
  resubscribe(p: string): void {
    if (!this.products.has(p)) return;
    if (this.live.has(p)) this.pendingRemove.add(p);
    this.pendingAdd.add(p);
  }

  /** The socket (re)opened: the server knows nothing, so everything is to be subscribed. */
  opened(): void {
    this.live.clear();
    this.pendingRemove.clear();
    this.pendingAdd = new Set(this.products);
  }

  dirty(): boolean {
    return this.pendingAdd.size > 0 || this.pendingRemove.size > 0;
  }

  /**
   * Send what is pending, taking one token per message (a request of several messages
   * takes all of its tokens or waits whole); returns false when tokens ran out.
   */
  flush(take: (n?: number) => boolean): boolean {
    if (this.pendingRemove.size > 0) {
      const ps = [...this.pendingRemove].sort();
      const msgs = asList(this.encode.unsubscribe(ps, this.requestId + 1));
      if (!take(msgs.length)) return false;
      this.requestId++;
      this.pendingRemove = new Set();
      if (this.sendAll(msgs)) for (const p of ps) this.live.delete(p);
    }
    if (this.pendingAdd.size > 0) {
      const ps = [...this.pendingAdd].sort();
      const msgs = asList(this.encode.subscribe(ps, this.requestId + 1));
      if (!take(msgs.length)) return false;
      const id = ++this.requestId;
      this.pendingAdd = new Set();
      if (this.sendAll(msgs)) {
        for (const p of ps) this.live.add(p);
        this.onSubscribed(ps, id);
      }
    }
    return true;
  }

  private sendAll(msgs: readonly string[]): boolean {
    let ok = true;
    for (const m of msgs) ok = this.transport.send(m) && ok;
    return ok;
  }
}

export class SubscriptionFlusher {
  private readonly dirty = new Set<Slot>();
  private timer: TimerHandle | undefined;
  private stopped = false;
  messagesSent = 0;
  /** The largest request seen, in messages (the flusher waits for that many tokens). */
  messagesPerRequest = 1;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly batchMs: number,
    private readonly clock: Clock,
  ) {}

  mark(slot: Slot): void {
    if (this.stopped) return;
    this.dirty.add(slot);
    this.schedule(this.batchMs);
  }

  forget(slot: Slot): void {
    this.dirty.delete(slot);
  }

  pending(): number {
    return this.dirty.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  private flush(): void {
    let wait = Infinity;
    for (const slot of this.dirty) {
      // A closed socket re-marks itself when it opens again (Slot.opened).
      if (!slot.transport.isOpen() || !slot.dirty()) {
        this.dirty.delete(slot);
        continue;
      }
      let limited = false;
      const take = (n = 1) => {
        if (slot.prepaid >= n) {
          slot.prepaid -= n;
          this.messagesSent += n;
          return true;
        }
        if (slot.limit && slot.limit.msUntil(n) > 0) {
          limited = true;
          return false;
        }
        if (!this.bucket.tryTake(n)) return false;
        slot.limit?.tryTake(n);
        this.messagesSent += n;
        return true;
      };
      if (slot.flush(take)) {
        this.dirty.delete(slot);
        continue;
      }
      if (!limited) {
        // The shared bucket is empty: nobody can send until it refills.
        this.schedule(Math.max(1, this.bucket.msUntil(Math.min(this.bucket.burst, this.messagesPerRequest))));
        return;
      }
      wait = Math.min(wait, slot.limit!.msUntil(1));
    }
    if (wait !== Infinity) this.schedule(Math.max(1, wait));
  }
}

const asList = (m: string | readonly string[]): readonly string[] => (typeof m === "string" ? [m] : m);
