/**
 * What serving through the ws transport costs (`npm run bench:transport`): the edge
 * (edge/main.ts, one process) under the side-by-side load twice, once on native uWS and
 * once with EDGE_TRANSPORT=ws, and the ratio of CPU per delivered message. The edge's
 * fallback warning (edge/transport/fallback.ts) quotes this ratio from the section's
 * RESULT line, so run it on a Node where native uWS loads (Node 20 here).
 *
 *   npx tsx bench/transport.ts [--clients 1000] [--rooms 100] [--rooms-per-client 10]
 *     [--rate 1] [--duration 10] [--no-report]
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { runEdgeSide, type SideFigures } from "./edge-side.ts";
import { reportResult, table, writeBenchSection } from "./report.ts";
import { loadUws } from "../edge/transport/uws-load.ts";

const { values: a } = parseArgs({
  options: {
    clients: { type: "string", default: "1000" },
    rooms: { type: "string", default: "100" },
    "rooms-per-client": { type: "string", default: "10" },
    rate: { type: "string", default: "1" },
    duration: { type: "string", default: "10" },
    "no-report": { type: "boolean", default: false },
  },
});
const num = (name: keyof typeof a, min: number) => {
  const n = Number(a[name]);
  if (!Number.isFinite(n) || n < min) throw new RangeError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(a[name])}`);
  return n;
};
const load = {
  clients: num("clients", 1),
  rooms: num("rooms", 1),
  roomsPerClient: num("rooms-per-client", 1),
  rate: num("rate", 0.1),
  payloadBytes: 100,
  durationMs: num("duration", 1) * 1000,
  sourceIps: 16,
};

const native = loadUws();
const runs: Partial<Record<"uws" | "ws", SideFigures>> = {};
const errors: string[] = [];
if (!native.native) errors.push(`no native uWS on this Node (${native.why}): only the ws figure is measured`);
for (const transport of native.native ? (["uws", "ws"] as const) : (["ws"] as const)) {
  process.env.EDGE_TRANSPORT = transport; // read by the edge child (edge-side.ts passes process.env)
  console.log(`transport: edge over ${transport}, ${load.clients} clients…`);
  try {
    runs[transport] = await runEdgeSide(load);
  } catch (e) {
    errors.push(`${transport}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
const cpu = (t: "uws" | "ws") => runs[t]?.cpuUsPerDelivered ?? null;
const ratio = cpu("ws") !== null && cpu("uws") !== null ? cpu("ws")! / cpu("uws")! : null;
const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d));
const row = (t: "uws" | "ws") => {
  const r = runs[t];
  return [t === "uws" ? `uWS (${native.pkg} ${native.binary})` : "ws", r?.connections ?? "failed", r ? Math.round(r.delivered / r.windowSec) : "", f(r?.cpuUsPerDelivered), f(r ? r.rssPerConnectionBytes / 1024 : null, 1), f(r?.client.latencyMs.p99, 1)];
};
const md = [
  `The edge (edge/main.ts, one process) under the side-by-side load (bench/edge-side.ts): ${load.clients} clients, ${load.rooms} rooms at ${load.rate} msg/s, ${load.roomsPerClient} rooms per client, ${load.durationMs / 1000} s window; once per transport, Node ${process.versions.node}. Load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")} (2 cores: above 2, other work competed for the CPU).`,
  "",
  table(["transport", "clients held", "delivered msg/s", "CPU µs/msg", "RSS KB/conn", "p99 ms"], (["uws", "ws"] as const).map(row)),
  "",
  `**ws ÷ uWS, CPU per delivered message: ${f(ratio)}×** — what the edge's fallback warning quotes.`,
  ...errors.map((e) => `- **failed:** ${e}`),
].join("\n");
console.log(`\n${md}`);
if (!a["no-report"]) writeBenchSection("transport", "Edge transports: native uWS vs the ws fallback", md);
reportResult({
  name: "transport",
  figures: { clients: load.clients, uws_cpu_us_per_msg: cpu("uws"), ws_cpu_us_per_msg: cpu("ws"), cpu_ratio_ws_to_uws: ratio },
});
process.exit(errors.length && ratio === null ? 1 : 0);
