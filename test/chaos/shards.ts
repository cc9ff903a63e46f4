/**
 * Connection shards for chaos tests: the environment of an actor host that runs only
 * shards against a simulator, host ids that split the shard slots over the hosts, and
 * who owns how many products, read from host status (what `ops status --json` prints).
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { collectStatus } from "../../ops/cli/status.ts";
import { decode } from "../../lib/contracts/codec.ts";
import { HostStatus, hostSubjects } from "../../lib/contracts/host-protocol.ts";
import { slotsFor } from "../../actors/placement.ts";

/** Settings of a shard host: short timings so faults show within seconds. */
export function shardHostEnv(o: { natsUrl: string; hostId: string; simUrl: string; products: string[]; leaseMs: number; extra?: Record<string, string> }): Record<string, string> {
  return {
    NATS_URL: o.natsUrl,
    HOST_ID: o.hostId,
    ACTORS: "shard",
    LEASE_MS: String(o.leaseMs),
    FEED: "sim",
    SIM_URL: o.simUrl,
    PRODUCTS: o.products.join(","),
    BOOKS: "false",
    SUBSCRIBE_BATCH_MS: "20",
    SUBSCRIBE_RATE: "50",
    SUBSCRIBE_BURST: "20",
    RECONNECT_BASE_MS: "100",
    RECONNECT_MAX_MS: "1000",
    STALE_MS: "5000",
    PUBLISH_LINGER_MS: "5",
    ...o.extra,
  };
}

/** `n` host ids (prefix-a…) such that `count` shard slots are spread with at least one on each host. */
export function hostIdsSpreading(prefix: string, n: number, count: number): string[] {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String.fromCharCode(97 + i)}${attempt}`);
    if (ids.every((id) => slotsFor("shard", count, ids, id).length > 0)) return ids;
  }
  throw new RangeError(`no host ids spread ${count} slots over ${n} hosts`);
}

export interface Ownership {
  /** Products owned per host (sum of its shards' `owned`). */
  byHost: Map<string, number>;
  /** Running shard slots per host. */
  slots: Map<string, string[]>;
  total: number;
  /** Hosts that answered. */
  hosts: string[];
}

type Statuses = Awaited<ReturnType<typeof collectStatus>>;

/** Ownership from host status documents (the shard actor reports `owned` in its status extra). */
export function ownershipOf(statuses: Statuses): Ownership {
  const byHost = new Map<string, number>();
  const slots = new Map<string, string[]>();
  const hosts: string[] = [];
  let total = 0;
  for (const s of statuses) {
    if ("error" in s) continue;
    hosts.push(s.host);
    for (const a of s.actors) {
      if (!a.path.startsWith("root/placed/shard-") || a.state !== "running") continue;
      const owned = Number(a.extra?.owned ?? 0);
      byHost.set(s.host, (byHost.get(s.host) ?? 0) + owned);
      slots.set(s.host, [...(slots.get(s.host) ?? []), a.id]);
      total += owned;
    }
  }
  return { byHost, slots, total, hosts };
}

/** Ownership of every host that answers discovery (slow: discovery waits `timeoutMs`). */
export async function ownership(nc: NatsConnection, timeoutMs = 500): Promise<Ownership> {
  return ownershipOf(await collectStatus(nc, timeoutMs).catch(() => []));
}

/** Ownership of known hosts, asking each host's status endpoint directly (fast enough to poll every 50 ms). */
export async function ownershipOfHosts(nc: NatsConnection, hosts: string[], timeoutMs = 300): Promise<Ownership> {
  const statuses = await Promise.all(hosts.map(async (host) => {
    try {
      const m = await nc.request(hostSubjects.status(host), "", { timeout: timeoutMs });
      const r = decode(HostStatus, m.data);
      return r.ok ? r.value : { host, error: r.error };
    } catch (e) {
      return { host, error: String(e) };
    }
  }));
  return ownershipOf(statuses);
}
