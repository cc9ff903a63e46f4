/**
 * Builds ops/grafana/tickflow.json, the Grafana dashboard for the edges and the actor
 * hosts, from a short list of panels (`npx tsx ops/grafana/build.ts`). The test beside
 * it checks that every metric the dashboard queries is one the code exports.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

type Panel = { title: string; exprs: Array<[string, string]>; unit?: string; group: string };

export const panels: Panel[] = [
  { group: "Edge", title: "Connections", exprs: [["sum(edge_connections)", "open sockets"]] },
  { group: "Edge", title: "Delivered messages/s", exprs: [["sum(rate(edge_messages_out_total[1m]))", "messages"]], unit: "ops" },
  {
    group: "Edge",
    title: "NATS → socket latency",
    unit: "ms",
    exprs: [
      ["histogram_quantile(0.5, sum by (le) (rate(edge_delivery_latency_ms_bucket[1m])))", "p50"],
      ["histogram_quantile(0.99, sum by (le) (rate(edge_delivery_latency_ms_bucket[1m])))", "p99"],
    ],
  },
  { group: "Edge", title: "Closes by reason", exprs: [["sum by (reason) (rate(edge_closes_total[5m]))", "{{reason}}"]], unit: "ops" },
  { group: "Edge", title: "Rejected client frames", exprs: [["sum by (code) (rate(edge_rejected_frames_total[5m]))", "{{code}}"]], unit: "ops" },
  { group: "Edge", title: "Event-loop lag", exprs: [["max by (quantile) (edge_event_loop_lag_ms)", "{{quantile}}"]], unit: "ms" },
  { group: "Edge", title: "Edge RSS", exprs: [["process_resident_memory_bytes{job=\"tickflow-edge\"}", "{{instance}}"]], unit: "bytes" },
  { group: "Ingest", title: "Ticks published/s", exprs: [["sum by (venue) (rate(ingest_published_ticks_total[1m]))", "{{venue}}"]], unit: "ops" },
  { group: "Ingest", title: "Bad frames, gaps, reconnects", exprs: [["sum(rate(ingest_bad_frames_total[5m]))", "bad frames"], ["sum(rate(ingest_gaps_total[5m]))", "gaps"], ["sum(rate(ingest_reconnects_total[5m]))", "reconnects"]], unit: "ops" },
  { group: "Ingest", title: "Exchange → JetStream ack latency", unit: "ms", exprs: [["histogram_quantile(0.99, sum by (le) (rate(ingest_latency_ms_bucket[1m])))", "p99"]] },
  { group: "Rooms", title: "Coalescer ticks in / rooms out", unit: "ops", exprs: [["sum(rate(tickflow_coalescer_ticks_total[1m]))", "ticks"], ["sum(rate(tickflow_coalescer_room_messages_total[1m]))", "room messages"]] },
  { group: "Rooms", title: "Tick → room publish p99", unit: "ms", exprs: [["histogram_quantile(0.99, sum by (le) (rate(tickflow_coalescer_tick_to_publish_ms_bucket[1m])))", "p99"]] },
  { group: "Actors", title: "Actor restarts", exprs: [["sum by (actor) (tickflow_actor_restarts)", "{{actor}}"]] },
  { group: "Actors", title: "Mailbox depth", exprs: [["max by (actor) (tickflow_actor_mailbox_depth)", "{{actor}}"]] },
  { group: "Actors", title: "Consumer lag (pending)", exprs: [["max by (consumer) (tickflow_consumer_pending)", "{{consumer}}"]] },
  { group: "Archive", title: "Archived rows/s", unit: "ops", exprs: [["sum by (dataset) (rate(archiver_rows_in_total[1m]))", "{{dataset}}"]] },
  { group: "Archive", title: "Staging and pending uploads", exprs: [["sum(archiver_staging_bytes)", "staging bytes"], ["sum(archiver_pending_uploads)", "pending uploads"]] },
];

export function dashboard(): unknown {
  let y = 0;
  let id = 1;
  const out: unknown[] = [];
  let group = "";
  let col = 0;
  for (const p of panels) {
    if (p.group !== group) {
      group = p.group;
      if (col) y += 8;
      col = 0;
      out.push({ id: id++, type: "row", title: group, gridPos: { x: 0, y: y++, w: 24, h: 1 }, collapsed: false, panels: [] });
    }
    out.push({
      id: id++,
      type: "timeseries",
      title: p.title,
      datasource: { type: "prometheus", uid: "${datasource}" },
      gridPos: { x: col * 8, y, w: 8, h: 8 },
      fieldConfig: { defaults: { unit: p.unit ?? "short" }, overrides: [] },
      targets: p.exprs.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat })),
    });
    col = (col + 1) % 3;
    if (col === 0) y += 8;
  }
  return {
    title: "Tickflow",
    uid: "tickflow",
    schemaVersion: 39,
    tags: ["tickflow"],
    time: { from: "now-1h", to: "now" },
    refresh: "10s",
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Prometheus" }] },
    panels: out,
  };
}

if (process.argv[1]?.endsWith("build.ts")) {
  writeFileSync(join(import.meta.dirname, "tickflow.json"), JSON.stringify(dashboard(), null, 2) + "\n");
  console.log("wrote ops/grafana/tickflow.json");
}
