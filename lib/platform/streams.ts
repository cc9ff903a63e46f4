/**
 * JetStream streams, KV buckets and message ids, created idempotently at start-up.
 *
 * - MD: every market-data message (`md.>`), file storage, age limit from config,
 *   a 2-minute duplicate window so a replayed frame (same message id) is stored once.
 * - ROOMS: the snapshot rooms (`room.ticker.>`, movers, topcoins, pulse), one message
 *   per subject: the snapshot a fresh edge or a joining client gets.
 * - ROOMLOG: the stream rooms (`room.alerts`, `room.candles.>`), full history within an
 *   age limit, so a reconnecting client can replay what it missed and a chart can load
 *   24 h of candles. Its last message per subject is that room's snapshot.
 * Together they cover `room.>`, which is what the edge subscribes to. (Sourcing ROOMLOG
 * from ROOMS was tried and rejected: ROOMS discards a message before the source copies
 * it when two arrive close together.)
 */
import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { KV, KvOptions } from "@nats-io/kv";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { snapshotRoomSubjects, streamRoomSubjects, subjects } from "../contracts/subjects.ts";

const NS_PER_MS = 1_000_000;
export const nanos = (ms: number): number => Math.round(ms * NS_PER_MS);

export const STREAM = { md: "MD", rooms: "ROOMS", roomLog: "ROOMLOG" } as const;

export interface StreamOptions {
  /** Age limit of the MD stream in ms (MD_MAX_AGE). */
  mdMaxAgeMs: number;
  /** Size limit of the MD stream in bytes; -1 for none (MD_MAX_BYTES). */
  mdMaxBytes: number;
  /** Age limit of the stream-room history in ms (ROOMLOG_MAX_AGE); default 24 h for candles. */
  roomLogMaxAgeMs: number;
  /** Size limit of the stream-room history in bytes (ROOMLOG_MAX_BYTES); default 1 GiB, -1 for none. */
  roomLogMaxBytes?: number;
  /** Replicas for every stream (1 on a single server). */
  replicas: number;
}

/** Kept equal to the config defaults (lib/platform/config.ts), which cannot be imported here. */
const ROOMLOG_MAX_BYTES = 1024 ** 3;

export const defaultStreamOptions: StreamOptions = {
  mdMaxAgeMs: 24 * 3600_000,
  mdMaxBytes: 2 * 1024 ** 3,
  roomLogMaxAgeMs: 24 * 3600_000,
  replicas: 1,
};

export function streamConfigs(o: StreamOptions): Array<Partial<StreamConfig> & { name: string }> {
  return [
    {
      name: STREAM.md,
      subjects: [subjects.allMd],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(o.mdMaxAgeMs),
      max_bytes: o.mdMaxBytes,
      duplicate_window: nanos(120_000),
      num_replicas: o.replicas,
    },
    {
      name: STREAM.rooms,
      subjects: [...snapshotRoomSubjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: 1,
      duplicate_window: nanos(10_000),
      allow_direct: true,
      num_replicas: o.replicas,
    },
    {
      name: STREAM.roomLog,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(o.roomLogMaxAgeMs),
      max_bytes: o.roomLogMaxBytes ?? ROOMLOG_MAX_BYTES,
      allow_direct: true,
      num_replicas: o.replicas,
      subjects: [...streamRoomSubjects],
      duplicate_window: nanos(120_000),
    },
  ];
}

/**
 * Create or update every stream. Safe to call from every process at every start:
 * an existing stream with the same config is left alone, a changed one is updated.
 */
export async function ensureStreams(jsm: JetStreamManager, o: StreamOptions = defaultStreamOptions): Promise<void> {
  for (const cfg of streamConfigs(o)) {
    const name = cfg.name;
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, cfg);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(cfg);
    }
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: number; api_error?: { err_code?: number } };
  return e?.name === "StreamNotFoundError" || e?.api_error?.err_code === 10059 || /not found/i.test(e?.message ?? "");
}

/** KV buckets. Per-key TTL needs nats-server ≥ 2.11, so each lease kind gets its own bucket whose TTL is the lease. */
export const BUCKET = {
  /** Connection-shard membership leases. */
  shards: "tf_shards",
  /** Coalescer partition leases. */
  coalescers: "tf_coalescers",
  /** One-leader-at-a-time computations (poller, ranker...). */
  leaders: "tf_leaders",
  /** Desired state written by `ops scale` (no TTL). */
  desired: "tf_desired",
  /** Actor-host membership (heartbeat leases), for placement. */
  hosts: "tf_hosts",
} as const;

export interface BucketOptions {
  /** Lease length in ms for lease buckets (LEASE_MS). */
  leaseMs: number;
  replicas: number;
}

export function bucketConfigs(o: BucketOptions): Array<{ name: string; opts: Partial<KvOptions> }> {
  // allow_direct off: a direct get may be answered by any replica, and one just restarted
  // (cluster) has aged its old lease values out (max_age) before it caught up with the
  // renewals: the key reads as missing, a live host as gone, and slots move (seen once in
  // test/chaos/cluster-leader.test.ts). Gets through the leader are consistent; these
  // buckets are read a few times per lease period.
  const lease = { ttl: o.leaseMs, history: 1, replicas: o.replicas, storage: StorageType.File };
  return [
    { name: BUCKET.shards, opts: lease },
    { name: BUCKET.coalescers, opts: lease },
    { name: BUCKET.leaders, opts: lease },
    { name: BUCKET.hosts, opts: lease },
    { name: BUCKET.desired, opts: { history: 5, replicas: o.replicas, storage: StorageType.File } },
  ];
}

/** Create (or open) every KV bucket; returns them by name. Idempotent. */
export async function ensureBuckets(nc: NatsConnection, o: BucketOptions): Promise<Record<string, KV>> {
  const kvm = new Kvm(nc);
  const out: Record<string, KV> = {};
  for (const { name, opts } of bucketConfigs(o)) out[name] = await kvm.create(name, opts);
  return out;
}

/** JetStream message ids for de-duplication: the same upstream frame always gets the same id. */
export const msgIds = {
  /**
   * A tick batch: venue, symbol and the sequence range it covers, plus the first tick's
   * exchange time when given, so a new upstream session that numbers from the same
   * sequences again (venue restart) is not taken for a duplicate; a replayed frame
   * carries its original exchange time and keeps its id.
   */
  ticks: (venue: string, symbol: string, firstSeq: number, lastSeq: number, firstExchTs?: number) =>
    (firstSeq === lastSeq ? `t:${venue}:${symbol}:${firstSeq}` : `t:${venue}:${symbol}:${firstSeq}-${lastSeq}`) +
    (firstExchTs === undefined ? "" : `@${firstExchTs}`),
  book: (venue: string, symbol: string, lastUpdateId: number, ts: number) => `b:${venue}:${symbol}:${lastUpdateId}:${ts}`,
  bookDelta: (venue: string, symbol: string, firstUpdateId: number, lastUpdateId: number) =>
    `d:${venue}:${symbol}:${firstUpdateId}-${lastUpdateId}`,
  market: (coin: string, ts: number) => `m:${coin}:${ts}`,
  room: (room: string, seq: number) => `r:${room}:${seq}`,
} as const;
