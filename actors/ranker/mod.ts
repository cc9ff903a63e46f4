/**
 * mover-ranker actor: movers, topcoins, pulse, alerts and 1-minute candles from the
 * tick stream, published by one leader at a time (LeaderLease); candle history for
 * charts from any instance. Run one per host for failover.
 *
 * `rankerChild(host)` is the factory listed in actors/registry.ts.
 */
import { type Actor, type ChildSpec, serviceActor } from "../runtime/mod.ts";
import type { HostContext } from "../host-context.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { loadConfig } from "../../lib/platform/config.ts";
import { type RankerConfig, rankerSettings } from "./config.ts";
import { RankerService } from "./service.ts";
import type { KlineEndpoints } from "./backfill.ts";
import { ingestSettings } from "../ingest/mod.ts";

export { Ranker } from "./ranker.ts";
export { RankerService } from "./service.ts";
export { rankerSettings, type RankerConfig } from "./config.ts";
export { CandleHistoryReply, CandleHistoryRequest } from "./history.ts";

/** The runtime wrapper: a fresh service per (re)start; a failed leadership crashes the actor. */
export function rankerActor(host: HostContext, config: RankerConfig, klines?: KlineEndpoints): Actor<never> {
  return serviceActor({
    create(ctx, fail) {
      const kv = host.kv[BUCKET.leaders];
      if (!kv) throw new Error(`KV bucket ${BUCKET.leaders} is not open in this host`);
      return new RankerService({
        nc: host.nc,
        js: host.js,
        jsm: host.jsm,
        kv,
        clock: ctx.clock,
        leaseMs: host.leaseMs,
        holderId: `${host.hostId}-ranker-${crypto.randomUUID().slice(0, 6)}`,
        config,
        ...(klines ? { klines } : {}),
        metrics: host.metrics,
        onError: fail,
        ...(host.staleAfterMs ? { staleAfterMs: host.staleAfterMs } : {}),
      });
    },
    status: (svc) => svc.status(),
  });
}

/** Throws ConfigError (naming the variable) when a ranker setting is invalid. */
export function rankerChild(host: HostContext): ChildSpec {
  const config = loadConfig(rankerSettings, host.env);
  const klines = config.CANDLE_BACKFILL ? klineEndpoints(config, loadConfig(ingestSettings, host.env)) : undefined;
  return { id: "ranker", restart: "permanent", shutdownMs: 8000, actor: () => rankerActor(host, config, klines) };
}

/** Klines REST bases: explicit settings win; FEED=sim → the simulator; otherwise the venues' public APIs. */
export function klineEndpoints(
  c: RankerConfig,
  feed: { FEED: readonly string[]; SIM_URL: string; BINANCE_REST_URL?: string | undefined; BINANCE_USDM_REST_URL?: string | undefined },
): KlineEndpoints {
  const sim = feed.FEED.includes("sim");
  return {
    coinbase: c.CANDLE_BACKFILL_COINBASE_URL ?? (sim ? feed.SIM_URL : "https://api.exchange.coinbase.com"),
    binance: c.CANDLE_BACKFILL_BINANCE_URL ?? feed.BINANCE_REST_URL ?? (sim ? feed.SIM_URL : "https://api.binance.com"),
    binanceUsdm: c.CANDLE_BACKFILL_BINANCE_USDM_URL ?? feed.BINANCE_USDM_REST_URL ?? (sim ? feed.SIM_URL : "https://fapi.binance.com"),
  };
}
