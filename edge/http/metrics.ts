/**
 * `/metrics` in Prometheus text format, built from the hub's plain counters when
 * scraped (the hot path only increments numbers). Room subscriptions are reported by
 * room kind plus the top-N rooms, so label cardinality stays bounded however many
 * rooms exist. The NATS → socket latency histogram is fed by the hub on sampled
 * messages.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Metrics } from "../../lib/platform/metrics.ts";
import type { EdgeHub } from "../core/hub.ts";

export interface EdgeInfo {
  server: string;
  build: string;
  transport: string;
  natsConnected: () => boolean;
  /** Age of the newest live room.ticker.all message, ms. */
  dataAgeMs?: () => number;
  /** Publishes skipped for slow sockets, when the transport can count them exactly (ws adapter). */
  skipped?: () => number;
}

const LATENCY_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

export class EdgeMetrics {
  /** Series that live across scrapes (histograms). */
  private readonly persistent = new Metrics();
  private readonly latency = this.persistent.histogram(
    "edge_delivery_latency_ms",
    "NATS → socket latency from the producer's ts (sampled messages), ms",
    LATENCY_BUCKETS,
  );
  // Each sample is a wake-up of an otherwise idle process: at 10 ms resolution the
  // sampler alone was half of the edge's fixed CPU cost (~10 of ~20 ms/s).
  private readonly lag = monitorEventLoopDelay({ resolution: 100 });

  constructor(private readonly hub: EdgeHub, private readonly info: EdgeInfo, private readonly topRooms: number) {
    this.lag.enable();
  }

  /** Hook for the hub (CoreDeps.observeLatency). */
  readonly observeLatency = (ms: number): void => this.latency.observe(Math.max(0, ms));

  stop(): void {
    this.lag.disable();
  }

  render(): string {
    const h = this.hub;
    const st = h.stats;
    const m = new Metrics();
    m.gauge("edge_info", "build and identity of this edge process").set(1, {
      server: this.info.server,
      build: this.info.build,
      transport: this.info.transport,
    });
    m.gauge("edge_ready", "1 when NATS is connected and room subscriptions are live").set(
      h.ready && this.info.natsConnected() ? 1 : 0,
    );
    m.gauge("tickflow_nats_connected", "1 while this process is connected to NATS").set(this.info.natsConnected() ? 1 : 0);
    if (this.info.dataAgeMs) {
      m.gauge("tickflow_data_age_seconds", "Age of the newest data an actor received (io=in) or produced (io=out), s")
        .set(this.info.dataAgeMs() / 1000, { stage: "edge", actor: this.info.server, io: "in", of: "ticker.all" });
    }
    m.gauge("edge_connections", "open WebSocket connections").set(h.sessions.size);
    m.counter("edge_connections_opened_total", "WebSocket connections accepted").inc(undefined, st.connectionsOpened);
    m.counter("edge_messages_in_total", "room messages received from NATS").inc(undefined, st.msgsIn);
    m.counter("edge_bytes_in_total", "room message bytes received from NATS").inc(undefined, st.bytesIn);
    m.counter("edge_messages_out_total", "frames handed to sockets").inc(undefined, st.msgsOut);
    m.counter("edge_bytes_out_total", "frame bytes handed to sockets").inc(undefined, st.bytesOut);
    m.counter("edge_bus_messages_dropped_total", "bus messages that were not room updates").inc(undefined, st.badBusMessages);
    m.counter("edge_client_frames_total", "frames received from clients").inc(undefined, st.framesIn);
    const rejected = m.counter("edge_rejected_frames_total", "client frames answered with an error, by code");
    for (const [code, n] of st.rejected) rejected.inc({ code }, n);
    const closes = m.counter("edge_closes_total", "connections closed by the edge, by reason");
    for (const [reason, n] of st.closes) closes.inc({ reason }, n);
    const refused = m.counter("edge_upgrades_refused_total", "WebSocket upgrades answered with an HTTP error instead of 101, by reason");
    for (const [reason, n] of st.refusedUpgrades) refused.inc({ reason }, n);
    m.counter("edge_slow_observations_total", "sweeps finding a socket over the backpressure threshold (skipped by publishes)")
      .inc(undefined, st.slowObservations);
    if (this.info.skipped) m.counter("edge_publish_skips_total", "publishes skipped for slow sockets").inc(undefined, this.info.skipped());
    const replays = m.counter("edge_replays_total", "stream-room recoveries by outcome");
    for (const [outcome, n] of st.replays) replays.inc({ outcome }, n);
    m.counter("edge_replayed_messages_total", "messages sent by replays").inc(undefined, st.replayedMessages);
    const refresh = m.counter("edge_refresh_requests_total", "client refresh commands: sent to NATS or coalesced");
    refresh.inc({ result: "sent" }, h.refresher.sent);
    refresh.inc({ result: "coalesced" }, h.refresher.coalesced);
    this.renderRooms(m);
    const lag = m.gauge("edge_event_loop_lag_ms", "event-loop delay since the previous scrape");
    lag.set(this.lag.percentile(50) / 1e6, { quantile: "0.5" });
    lag.set(this.lag.percentile(99) / 1e6, { quantile: "0.99" });
    lag.set(this.lag.max / 1e6, { quantile: "1" });
    this.lag.reset();
    const mem = process.memoryUsage();
    m.gauge("process_resident_memory_bytes", "resident set size").set(mem.rss);
    m.gauge("nodejs_heap_used_bytes", "V8 heap in use").set(mem.heapUsed);
    return m.render() + this.persistent.render();
  }

  private renderRooms(m: Metrics): void {
    const byKind = m.gauge("edge_room_subscriptions", "socket subscriptions by room kind");
    const rooms = m.gauge("edge_rooms", "rooms known to this edge by kind");
    const kinds = new Map<string, [number, number]>();
    const top: Array<[string, number]> = [];
    for (const r of this.hub.rooms.values()) {
      const k = kinds.get(r.kind) ?? [0, 0];
      k[0] += r.subscribers;
      k[1]++;
      kinds.set(r.kind, k);
      if (this.topRooms > 0 && r.subscribers > 0) top.push([r.name, r.subscribers]);
    }
    for (const [kind, [subs, n]] of kinds) {
      byKind.set(subs, { kind });
      rooms.set(n, { kind });
    }
    top.sort((a, b) => b[1] - a[1]);
    const topG = m.gauge("edge_room_subscribers", `subscribers of the ${this.topRooms} most watched rooms`);
    for (const [room, n] of top.slice(0, this.topRooms)) topG.set(n, { room });
  }
}
