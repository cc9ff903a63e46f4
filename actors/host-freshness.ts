/**
 * The host's freshness metrics, built from its actors' status rows at scrape time:
 * `tickflow_data_age_seconds{stage,actor,io,of}` for every age an actor reports (io is
 * `in`/`out`/…, `of` the venue or computation, "" for the actor as a whole) and
 * `tickflow_actor_stale{stage,actor}` (1 = an expected input or output is older than its
 * limit). Series of actors that stopped are dropped at the next scrape. Also the host's
 * NATS link as `tickflow_nats_connected`.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { FreshnessReport } from "../lib/contracts/host-protocol.ts";
import type { Metrics } from "../lib/platform/metrics.ts";
import type { ActorStatus } from "./runtime/mod.ts";

/** The report in a status row's `extra.freshness`, if it has a valid one. */
export function freshnessOf(extra: Record<string, unknown> | undefined): FreshnessReport | undefined {
  const r = FreshnessReport.safeParse(extra?.freshness);
  return r.success ? r.data : undefined;
}

export function freshnessMetrics(metrics: Metrics) {
  const age = metrics.gauge("tickflow_data_age_seconds", "Age of the newest data an actor received (io=in) or produced (io=out), s");
  const stale = metrics.gauge("tickflow_actor_stale", "1 while an actor's expected input or output is older than its limit");
  return {
    update(rows: readonly ActorStatus[]): void {
      age.clear();
      stale.clear();
      for (const a of rows) {
        const f = freshnessOf(a.extra);
        if (!f) continue;
        stale.set(f.stale ? 1 : 0, { stage: f.stage, actor: a.path });
        for (const [key, ms] of Object.entries(f.ages)) {
          const i = key.indexOf(":");
          const io = i < 0 ? key : key.slice(0, i);
          const of = i < 0 ? "" : key.slice(i + 1);
          age.set(ms / 1000, { stage: f.stage, actor: a.path, io, of });
        }
      }
    },
  };
}

/** Follows the connection's status events; `tickflow_nats_connected` is 1 while connected. */
export function watchNatsLink(nc: NatsConnection, metrics: Metrics) {
  let up = !nc.isClosed();
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") up = false;
      else if (s.type === "reconnect") up = true;
    }
  })().catch(() => { /* the iterator ends with the connection */ });
  const connected = () => up && !nc.isClosed();
  metrics.gauge("tickflow_nats_connected", "1 while this process is connected to NATS").set(() => (connected() ? 1 : 0));
  return { connected };
}
