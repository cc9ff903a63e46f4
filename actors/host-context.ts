/**
 * What an actor host hands to the actors it runs: connections, buckets, identity,
 * clock, metrics and the raw environment. Each actor module exports a factory
 * `(host: HostContext) => ChildSpec` and is listed in actors/registry.ts.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Clock } from "./runtime/mod.ts";
import type { Metrics } from "../lib/platform/metrics.ts";

export interface HostContext {
  /** Unique id of this host process, e.g. "host-a1b2". */
  readonly hostId: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** KV buckets by name (see BUCKET in lib/platform/streams.ts). */
  readonly kv: Record<string, KV>;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** The environment (process env over TICKFLOW_CONFIG); pass it to loadConfig. */
  readonly env: Record<string, string | undefined>;
  /** Lease length in ms (LEASE_MS). */
  readonly leaseMs: number;
  /** STALE_AFTER in ms: an actor with no input/output this long reports itself stale. */
  readonly staleAfterMs?: number;
}
