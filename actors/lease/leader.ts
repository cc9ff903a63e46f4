/**
 * One leader at a time for a named computation: a key in a KV bucket whose TTL is the
 * lease. The leader renews by revision every leaseMs/3; the others try to create the
 * key at the same pace and win it once the old leader's key is deleted or expires.
 */
import type { KV } from "@nats-io/kv";
import { getLogger } from "@logtape/logtape";
import { type Clock, sleep, systemClock } from "../runtime/mod.ts";

export interface LeaderLeaseOptions {
  kv: KV;
  name: string;
  holderId: string;
  leaseMs: number;
  clock?: Clock;
  onElected?: () => void;
  onDeposed?: (err?: unknown) => void;
}

export class LeaderLease {
  private revision = 0;
  private readonly stopped = new AbortController();
  private loop?: Promise<void>;
  private readonly clock: Clock;
  private readonly log;

  constructor(private readonly opts: LeaderLeaseOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = getLogger(["tickflow", "leader", opts.name]);
  }

  isLeader(): boolean {
    return this.revision > 0;
  }

  /** Makes the first attempt before resolving, then keeps trying in the background. */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener("abort", () => this.stopped.abort(), { once: true });
    await this.attempt();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.loop;
    if (this.revision > 0) {
      this.revision = 0;
      try {
        await this.opts.kv.delete(this.opts.name);
      } catch { /* expires by itself */ }
      this.opts.onDeposed?.();
    }
  }

  private value(): string {
    return JSON.stringify({ v: 1, holder: this.opts.holderId, renewedAt: this.clock.now() });
  }

  private async run(): Promise<void> {
    const every = Math.max(20, Math.floor(this.opts.leaseMs / 3));
    while (!this.stopped.signal.aborted) {
      await sleep(this.clock, every, this.stopped.signal);
      if (!this.stopped.signal.aborted) await this.attempt();
    }
  }

  private async attempt(): Promise<void> {
    try {
      if (this.revision > 0) {
        const timeout = Math.max(200, Math.min(5000, Math.floor(this.opts.leaseMs / 3)));
        this.revision = await this.opts.kv.update(this.opts.name, this.value(), this.revision, timeout);
      } else {
        this.revision = await this.opts.kv.create(this.opts.name, this.value());
        this.log.info("{holder} is now leader of {name}", { holder: this.opts.holderId, name: this.opts.name });
        this.opts.onElected?.();
      }
    } catch (err) {
      if (this.revision > 0) {
        this.revision = 0;
        this.log.warn("{holder} lost leadership of {name}: {err}", { holder: this.opts.holderId, name: this.opts.name, err: String(err) });
        this.opts.onDeposed?.(err);
      }
    }
  }
}
