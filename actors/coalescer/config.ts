/** Settings of the coalescer, by environment variable (validated by loadConfig). */
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";

export const coalescerSettings = {
  /** How often changed symbols are published (100 ms). */
  COALESCE_INTERVAL: v.duration().pipe(z.number().int().min(5).max(60_000)).default(100),
  /** Number of symbol partitions spread over the live coalescers; must be equal on all of them. */
  COALESCER_PARTITIONS: v.int(1, 4096).default(16),
  /** Unacknowledged tick messages a coalescer may hold (they are acked after the flush that covers them). */
  COALESCER_MAX_ACK_PENDING: v.int(100, 1_000_000).default(65_536),
  /** Redelivery delay of a tick message that was not acked (e.g. the publish failed). */
  COALESCER_ACK_WAIT: v.duration().pipe(z.number().int().min(1000)).default(30_000),
  /**
   * PubAck timeout of a room publish, and the bound on reading a room's last message. A
   * flush waits for its publishes, so during a room stream's leader election (cluster)
   * this is how long ticker rooms wait before the next try.
   */
  COALESCER_PUBLISH_TIMEOUT: v.duration().pipe(z.number().int().min(100).max(60_000)).default(750)
    .describe("room publish ack timeout; a flush waits at most this long (a leader election)"),
  /**
   * A partition's consumer quiet this long starts a core-NATS subscription to its tick
   * subject, so rooms keep showing new ticks while MD elects a leader (4-9 s on
   * nats-server 2.9) or the consumer's leader moves; it ends when the consumer is caught
   * up. 0 = off. Only with COALESCER_PARTITIONS = 16 (per-partition consumers).
   */
  COALESCER_LIVE_TAP: v.duration().pipe(z.number().int().min(0).max(60_000)).default(1000)
    .describe("consumer quiet this long: take the partition's ticks from core NATS too (MD leader election); 0 = off"),
  /** A live venue's tick keeps a degraded (CoinGecko) one out for this long. */
  COALESCER_DEGRADED_AFTER: v.duration().default(15_000),
};

export type CoalescerConfig = z.infer<z.ZodObject<typeof coalescerSettings>>;
