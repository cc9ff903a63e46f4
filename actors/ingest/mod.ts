/**
 * Ingest actors for an actor host:
 *   shardPool          → the connection shard as a pooled kind ("shard"): the placement
 *                        actor runs `ops scale shard N` instances over all hosts;
 *   shardChild(host)   → a supervisor of SHARDS shards on this host (no placement);
 *   pollerChild(host)  → the CoinGecko poller (runs everywhere, polls only as leader).
 * Settings come from `ingestSettings` (settings.ts) over the host's environment.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { BUCKET } from "../../lib/platform/streams.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import type { HostContext } from "../host-context.ts";
import { type ChildSpec, serviceActor } from "../runtime/mod.ts";
import { PollerService } from "./coingecko/poller.ts";
import { type ProductLists, resolveProducts, symbolsOf } from "./products.ts";
import { coingeckoUrl, ingestSettings, type IngestSettings, isSimFeed, venueEndpoints } from "./settings.ts";
import { ShardService } from "./shard.ts";
import { TokenBucket } from "../../lib/platform/token-bucket.ts";

export { ShardService } from "./shard.ts";
export { PollerService } from "./coingecko/poller.ts";
export { ingestSettings, type IngestSettings } from "./settings.ts";

const rand = () => Math.random().toString(36).slice(2, 8);

function requireBucket(host: HostContext, name: string) {
  const kv = host.kv[name];
  if (!kv) throw new TypeError(`host has no KV bucket ${name}; ensureBuckets() must run first`);
  return kv;
}

/** Build one shard's logic (used by the actor, run.ts and tests). */
export function makeShard(host: HostContext, s: IngestSettings, products: ProductLists, index: number, bucket?: TokenBucket, publishNc?: NatsConnection): ShardService {
  return new ShardService({
    shardId: `${host.hostId}-shard-${index}-${rand()}`,
    js: host.js,
    // A connection of its own for the tick stream (run.ts) keeps the lease renewals on
    // host.nc out of the publish backlog, at the socket and in nats-server's reader.
    nc: publishNc ?? host.nc,
    jsm: host.jsm,
    kv: requireBucket(host, BUCKET.shards),
    leaseMs: host.leaseMs,
    clock: host.clock,
    metrics: host.metrics,
    settings: s,
    endpoints: venueEndpoints(s),
    products,
    ...(bucket ? { bucket } : {}),
    symbols: symbolsOf(products),
    coinbaseGapCheck: s.COINBASE_GAP_CHECK ?? isSimFeed(s),
    // Upstream lists (not a fixed PRODUCTS list) are read again every PRODUCTS_REFRESH_MS.
    ...(s.PRODUCTS.length === 0 ? { listProducts: () => resolveProducts(s, venueEndpoints(s)) } : {}),
    info: { host: host.hostId, index },
  });
}

/** What the shards of one host share: settings, the product list (fetched once), one subscribe bucket (one IP). */
interface HostShared {
  s: IngestSettings;
  bucket: TokenBucket;
  lists(): Promise<ProductLists>;
}
const shared = new WeakMap<HostContext, HostShared>();

function hostShared(host: HostContext): HostShared {
  let h = shared.get(host);
  if (!h) {
    const s = loadConfig(ingestSettings, host.env);
    let products: Promise<ProductLists> | undefined;
    h = {
      s,
      bucket: new TokenBucket(s.SUBSCRIBE_RATE, s.SUBSCRIBE_BURST, host.clock),
      lists: () => (products ??= resolveProducts(s, venueEndpoints(s)).catch((e) => {
        products = undefined; // try again on the next (re)start
        throw e;
      })),
    };
    shared.set(host, h);
  }
  return h;
}

/** One connection shard as a supervised child. Throws ConfigError (naming the variable) on a bad setting. */
export function shardInstance(host: HostContext, slot = "shard-0"): ChildSpec {
  const h = hostShared(host);
  const index = Number(/(\d+)$/.exec(slot)?.[1] ?? 0);
  return {
    id: slot,
    restart: "permanent",
    shutdownMs: 8_000,
    // A shard has no background failure to report: it holds and retries through NATS
    // outages, and a lost lease closes its connections until it owns products again.
    actor: () => serviceActor({ create: async () => makeShard(host, h.s, await h.lists(), index, h.bucket), status: (l) => l.status() }),
  };
}

/** The shard as a pooled kind: `ops scale shard N` runs N shards spread over the hosts. */
export const shardPool = { kind: "shard", defaultCount: 1, instance: shardInstance } as const;

/** SHARDS connection shards under one supervisor on this host (for hosts without placement). */
export function shardChild(host: HostContext): ChildSpec {
  const { s } = hostShared(host);
  const children = Array.from({ length: s.SHARDS }, (_, i) => shardInstance(host, `shard-${i}`));
  return { id: "ingest-shards", supervisor: { strategy: "one_for_one", children } };
}

/** The CoinGecko poller; every host may run one, only the LeaderLease holder polls. */
export function pollerChild(host: HostContext): ChildSpec {
  const s = loadConfig(ingestSettings, host.env);
  return {
    id: "coingecko-poller",
    restart: "permanent",
    shutdownMs: 8_000,
    actor: () =>
      serviceActor({
        create: (_ctx, fail) =>
          new PollerService({
            holderId: `${host.hostId}-poller-${rand()}`,
            js: host.js,
            kv: requireBucket(host, BUCKET.leaders),
            leaseMs: host.leaseMs,
            clock: host.clock,
            settings: s,
            url: coingeckoUrl(s),
            metrics: host.metrics,
            onError: fail,
          }),
        status: (l) => l.statusReport(),
      }),
  };
}
