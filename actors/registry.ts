/**
 * The actors an actor host can run, by name. `ACTORS=…` picks a subset (default: all).
 *
 * - singletons: one per host, in this start order (stopped in reverse); computations
 *   that need one leader in the whole system take a leader lease themselves;
 * - pools: kinds that run as N instances spread over all hosts (`ops scale <kind> N`),
 *   placed by the placement actor.
 */
import type { ChildSpec } from "./runtime/mod.ts";
import type { HostContext } from "./host-context.ts";
import type { PoolKind } from "./placement.ts";
import { streamStatsChild } from "./stream-stats.ts";
import { coalescerPool } from "./coalescer/mod.ts";
import { rankerChild } from "./ranker/mod.ts";
import { archiverChild } from "./archiver/mod.ts";
import { pollerChild, shardPool } from "./ingest/mod.ts";
import { marketRoomsChild } from "./marketrooms/mod.ts";

export type ActorFactory = (host: HostContext) => ChildSpec;

export const registry: Record<string, ActorFactory> = {
  "stream-stats": streamStatsChild,
  poller: pollerChild,
  ranker: rankerChild,
  archiver: archiverChild,
  "market-rooms": marketRoomsChild,
};

export const pools: Record<string, PoolKind> = {
  shard: shardPool,
  coalescer: coalescerPool,
};

export const defaultActors = [...Object.keys(registry), ...Object.keys(pools)];
export const knownActors = defaultActors;
