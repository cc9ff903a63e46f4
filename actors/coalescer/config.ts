/**
 * Settings of the coalescer, by environment variable (validated by loadConfig): each
 * variable's zod schema with its default and description is the one source of the
 * `CoalescerConfig` type and of the table in actors/coalescer/README.md
 * (`npm run docs:config`).
 */
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";

export const coalescerSettings = {
  COALESCE_INTERVAL: v.duration().pipe(z.number().int().min(5).max(60_000)).default(100)
    .describe("flush period: changed symbols are published this often"),
  COALESCER_PARTITIONS: v.int(1, 4096).default(16)
    .describe("symbol partitions spread over the live coalescers; must be the same on every coalescer"),
  COALESCER_MAX_ACK_PENDING: v.int(100, 1_000_000).default(65_536)
    .describe("unacked tick messages a member may hold (acked after the flush that covers them)"),
  COALESCER_ACK_WAIT: v.duration().pipe(z.number().int().min(1000)).default(30_000)
    .describe("redelivery delay of a tick message that was not acked (e.g. the publish failed)"),
  /**
   * PubAck timeout of a room publish, and the bound on reading a room's last message. A
   * flush waits for its publishes, so during a room stream's leader election (cluster)
   * this is how long ticker rooms wait before the next try.
   */
  COALESCER_PUBLISH_TIMEOUT: v.duration().pipe(z.number().int().min(100).max(60_000)).default(750)
    .describe("PubAck timeout of a room publish and bound on reading a room's last message: a flush waits at most this long, e.g. while the room stream elects a leader; the next flush tries the same seq again"),
  /**
   * A partition's consumer quiet this long starts a core-NATS subscription to its tick
   * subject, so rooms keep showing new ticks while MD elects a leader (4-9 s on
   * nats-server 2.9) or the consumer's leader moves; it ends when the consumer is caught
   * up. 0 = off. Only with COALESCER_PARTITIONS = 16 (per-partition consumers).
   */
  COALESCER_LIVE_TAP: v.duration().pipe(z.number().int().min(0).max(60_000)).default(1000)
    .describe("consumer quiet this long: take the partition's ticks from core NATS too (MD leader election); 0 = off"),
  COALESCER_DEGRADED_AFTER: v.duration().default(15_000)
    .describe("a live venue's tick keeps a degraded (CoinGecko) one out for this long"),
};

export type CoalescerConfig = z.infer<z.ZodObject<typeof coalescerSettings>>;
