/**
 * mover-ranker actor: movers, topcoins, pulse, alerts and 1-minute candles from the
 * tick stream, published by one leader at a time (LeaderLease); candle history for
 * charts from any instance. Run one per host for failover.
 *
 * `rankerChild(host)` is the factory listed in actors/registry.ts.
 */
import type { Actor, ChildSpec } from "../runtime/types.ts";
import type { HostContext } from "../host-context.ts";
import { BUCKET } from "../bus/mod.ts";
import { loadConfig } from "../config.ts";
import { type RankerConfig, rankerSettings } from "./config.ts";
import { RankerService } from "./service.ts";

export { Ranker } from "./ranker.ts";
export { RankerService } from "./service.ts";
export { rankerSettings, type RankerConfig } from "./config.ts";
export { CandleHistoryReply, CandleHistoryRequest } from "./history.ts";

/** The runtime wrapper: a fresh service per (re)start; a failed leadership crashes the actor. */
export function rankerActor(host: HostContext, config: RankerConfig): Actor<never> {
  let svc: RankerService | undefined;
  return {
    async start(ctx) {
      const kv = host.kv[BUCKET.leaders];
      if (!kv) throw new Error(`KV bucket ${BUCKET.leaders} is not open in this host`);
      svc = new RankerService({
        nc: host.nc,
        js: host.js,
        jsm: host.jsm,
        kv,
        clock: ctx.clock,
        leaseMs: host.leaseMs,
        holderId: `${host.hostId}-ranker-${crypto.randomUUID().slice(0, 6)}`,
        config,
        metrics: host.metrics,
        onError: (err) => ctx.fail(err),
        ...(host.staleAfterMs ? { staleAfterMs: host.staleAfterMs } : {}),
      });
      await svc.start(ctx.signal);
    },
    async stop() {
      await svc?.stop();
    },
    status: () => svc?.status() ?? {},
  };
}

/** Throws ConfigError (naming the variable) when a ranker setting is invalid. */
export function rankerChild(host: HostContext): ChildSpec {
  const config = loadConfig(rankerSettings, host.env);
  return { id: "ranker", restart: "permanent", shutdownMs: 8000, actor: () => rankerActor(host, config) };
}
