/**
 * coalescer actor: the latest tick per symbol, published every COALESCE_INTERVAL
 * (100 ms) to `room.ticker.<SYMBOL>` and `room.ticker.all`, for the partitions of
 * symbols this instance owns. Run several (one per host) to share the load.
 *
 * `coalescerChild(host)` is the factory listed in actors/registry.ts.
 */
import { type Actor, type ChildSpec, serviceActor } from "../runtime/mod.ts";
import type { HostContext } from "../host-context.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { type CoalescerConfig, coalescerSettings } from "./config.ts";
import { CoalescerService } from "./service.ts";

export { Coalescer, partitionOf, TICKER_ALL_KEY } from "./coalescer.ts";
export { CoalescerService } from "./service.ts";
export { RoomPublisher } from "./room-publisher.ts";
export { coalescerSettings, type CoalescerConfig } from "./config.ts";

/** The runtime wrapper: a fresh service per (re)start; background failures crash the actor. */
export function coalescerActor(host: HostContext, config: CoalescerConfig, slot = "coalescer"): Actor<never> {
  return serviceActor({
    create(ctx, fail) {
      const kv = host.kv[BUCKET.coalescers];
      if (!kv) throw new Error(`KV bucket ${BUCKET.coalescers} is not open in this host`);
      return new CoalescerService({
        nc: host.nc,
        js: host.js,
        jsm: host.jsm,
        kv,
        clock: ctx.clock,
        leaseMs: host.leaseMs,
        memberId: `${host.hostId}-${slot}-${crypto.randomUUID().slice(0, 6)}`,
        config,
        metrics: host.metrics,
        onError: fail,
        ...(host.staleAfterMs ? { staleAfterMs: host.staleAfterMs } : {}),
      });
    },
    status: (svc) => svc.status(),
  });
}

/** One coalescer instance for a placement slot. Throws ConfigError (naming the variable) when a setting is invalid. */
export function coalescerChild(host: HostContext, slot = "coalescer"): ChildSpec {
  const config = loadConfig(coalescerSettings, host.env);
  return { id: slot, restart: "permanent", shutdownMs: 8000, actor: () => coalescerActor(host, config, slot) };
}

/** The coalescer as a pooled kind: `ops scale coalescers N` runs N instances over all hosts. */
export const coalescerPool = { kind: "coalescer", defaultCount: 1, instance: coalescerChild } as const;
