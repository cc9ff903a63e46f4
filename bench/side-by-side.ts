/**
 * Side-by-side benchmark: the Tickflow edge against two reference servers under the
 * same load — a bare uWebSockets.js publish loop (the floor: no protocol at all) and
 * Socket.IO rooms (what people use by default) — and the ratios the project promises:
 *   - edge vs bare uWS: CPU per delivered message within 1.5×;
 *   - edge vs Socket.IO: at least 8× less CPU per delivered message and 5× less
 *     memory per connection.
 * Writes the "side-by-side" section of BENCHMARKS.md and prints one line
 * `SIDE_BY_SIDE_RESULT {json}` (read by bench/all.ts).
 *
 *   npx tsx bench/side-by-side.ts --clients 1000,5000 --rooms 100 \
 *     --rooms-per-client 10 --rate 1 --duration 10 [--payload 100] [--quick] [--no-report]
 *
 * Each server runs as its own process (its CPU and RSS are its own); the clients run in
 * this process, one server at a time.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runReferenceBench } from "./reference.ts";
import { runEdgeSide, type SideFigures, type SideLoad } from "./edge-side.ts";
import { reportResult, table, writeBenchSection } from "./report.ts";

export const TARGETS = { cpuVsUws: 1.5, cpuVsSocketIo: 8, rssVsSocketIo: 5 } as const;

/**
 * A server's RSS moves by up to ~16 MiB on its own (heap sizing, garbage) during a
 * window: a smaller total growth does not resolve the per-connection figure, which is
 * then only known to be at most this ÷ connections.
 */
export const RSS_NOISE_BYTES = 16 * 2 ** 20;
const rssResolved = (x: SideFigures) => x.rssPerConnectionBytes * x.connections >= RSS_NOISE_BYTES;
/** Per-connection RSS, or its upper bound when below the noise. */
const rssUpperBound = (x: SideFigures) => (rssResolved(x) ? x.rssPerConnectionBytes : RSS_NOISE_BYTES / Math.max(1, x.connections));

export interface SideStage {
  load: SideLoad;
  edge?: SideFigures;
  uws?: SideFigures;
  socketio?: SideFigures;
  errors: string[];
  /**
   * Ratio and whether its target is met; undefined when a server's run failed or the
   * figures cannot decide. `atLeast`: the ratio is a lower bound (the edge's memory was
   * below the noise).
   */
  verdicts: Array<{ what: string; ratio?: number; target: string; met?: boolean; atLeast?: boolean }>;
}

const NAME = { edge: "Tickflow edge", uws: "bare uWS", socketio: "Socket.IO" } as const;
const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d));

/** The three target ratios of a stage, each with whether it is met (undefined when a run failed). */
export function stageVerdicts(s: SideStage): SideStage["verdicts"] {
  const { edge, uws, socketio } = s;
  const cpuVsUws = edge && uws ? edge.cpuUsPerDelivered / uws.cpuUsPerDelivered : undefined;
  const cpuVsSio = edge && socketio ? socketio.cpuUsPerDelivered / edge.cpuUsPerDelivered : undefined;
  // Socket.IO's growth must be resolved; the edge's may be an upper bound (a lower bound on the ratio).
  const rssVsSio = edge && socketio && rssResolved(socketio) ? socketio.rssPerConnectionBytes / rssUpperBound(edge) : undefined;
  const rssBound = edge !== undefined && !rssResolved(edge);
  const ok = (x: number | undefined, test: (x: number) => boolean) => (x === undefined || !Number.isFinite(x) ? undefined : test(x));
  // A lower bound under the target decides nothing.
  const rssOk = ok(rssVsSio, (x) => x >= TARGETS.rssVsSocketIo);
  const rssMet = rssOk === false && rssBound ? undefined : rssOk;
  return [
    { what: "CPU per delivered message, edge ÷ bare uWS", ratio: cpuVsUws, target: `≤ ${TARGETS.cpuVsUws}×`, met: ok(cpuVsUws, (x) => x <= TARGETS.cpuVsUws) },
    { what: "CPU per delivered message, Socket.IO ÷ edge", ratio: cpuVsSio, target: `≥ ${TARGETS.cpuVsSocketIo}×`, met: ok(cpuVsSio, (x) => x >= TARGETS.cpuVsSocketIo) },
    {
      what: "memory per connection, Socket.IO ÷ edge",
      ratio: rssVsSio,
      target: `≥ ${TARGETS.rssVsSocketIo}×`,
      met: rssMet,
      ...(rssBound ? { atLeast: true } : {}),
    },
  ];
}

export async function runSideStage(load: SideLoad, log: (s: string) => void = console.log): Promise<SideStage> {
  const stage: SideStage = { load, errors: [], verdicts: [] };
  const runs: Array<["edge" | "uws" | "socketio", () => Promise<SideFigures>]> = [
    ["edge", () => runEdgeSide(load, log)],
    ...(["uws", "socketio"] as const).map((server) => [server, async (): Promise<SideFigures> => {
      const r = await runReferenceBench({ server, ...load });
      return { server, connections: r.stats.connections, delivered: r.stats.delivered, windowSec: r.stats.windowSec, cpuUsPerDelivered: r.stats.cpuUsPerDelivered, rssPerConnectionBytes: r.stats.rssPerConnectionBytes, client: r.client };
    }] as ["uws" | "socketio", () => Promise<SideFigures>]),
  ];
  for (const [server, run] of runs) {
    log(`side-by-side: ${NAME[server]}, ${load.clients} clients…`);
    try {
      const r = await run();
      stage[server] = r;
      log(`  ${r.connections} connections, ${Math.round(r.delivered / r.windowSec)} msg/s delivered, ${f(r.cpuUsPerDelivered)} µs CPU/msg, ${f(r.rssPerConnectionBytes / 1024, 1)} KB/conn, p99 ${f(r.client.latencyMs.p99, 1)} ms`);
    } catch (e) {
      stage.errors.push(`${NAME[server]}: ${e instanceof Error ? e.message : String(e)}`);
      log(`  failed: ${stage.errors.at(-1)}`);
    }
  }
  stage.verdicts = stageVerdicts(stage);
  return stage;
}

const HEADER = ["server", "clients held", "delivered msg/s", "received msg/s", "seq gaps", "p50 ms", "p99 ms", "max ms", "server CPU µs/msg", "RSS KB/conn", "client lag p99 ms"];

function row(r: SideFigures): Array<string | number> {
  return [
    NAME[r.server], r.connections, Math.round(r.delivered / r.windowSec), Math.round(r.client.msgsPerSec), r.client.gaps,
    f(r.client.latencyMs.p50, 1), f(r.client.latencyMs.p99, 1), f(r.client.latencyMs.max, 0),
    f(r.cpuUsPerDelivered), rssResolved(r) ? f(r.rssPerConnectionBytes / 1024, 1) : `≤ ${f(rssUpperBound(r) / 1024, 1)} (noise)`, f(r.client.clientLagP99Ms, 1),
  ];
}

/** "x.xx×" of a ÷ b for the ratio rows; n/a when either is missing. */
function ratioRow(label: string, a: SideFigures | undefined, b: SideFigures | undefined): Array<string | number> {
  const r = (x: number | undefined, y: number | undefined, d = 2) => (a && b && x !== undefined && y !== undefined && y !== 0 && Number.isFinite(x / y) ? `${(x / y).toFixed(d)}×` : "n/a");
  if (!a || !b) return [label, ...HEADER.slice(1).map(() => "n/a")];
  return [
    label, "", r(a.delivered / a.windowSec, b.delivered / b.windowSec), r(a.client.msgsPerSec, b.client.msgsPerSec), "",
    r(a.client.latencyMs.p50, b.client.latencyMs.p50), r(a.client.latencyMs.p99, b.client.latencyMs.p99), r(a.client.latencyMs.max, b.client.latencyMs.max),
    r(a.cpuUsPerDelivered, b.cpuUsPerDelivered), rssResolved(a) && rssResolved(b) ? r(a.rssPerConnectionBytes, b.rssPerConnectionBytes) : "n/a (noise)", "",
  ];
}

const mark = (met: boolean | undefined) => (met === undefined ? "❔ not measured" : met ? "✅ met" : "❌ missed");

export function sideMarkdown(stages: SideStage[], quick: boolean): string {
  const out: string[] = [];
  const l = stages[0]?.load;
  if (quick) out.push("**Quick smoke run (`--quick`): tiny load and window; the figures show the benchmark works, not how fast anything is.**", "");
  if (l) {
    out.push(
      `Same load on each server, one server process at a time: ${l.rooms} rooms (ticker.<SYMBOL>), each publishing ${l.rate} msg/s of ~${l.payloadBytes + 90} bytes in the edge's wire format (serialised once per message); ` +
        `each client subscribes to ${l.roomsPerClient} rooms (${l.roomsPerClient * l.rate} msg/s per client); window ${(l.durationMs / 1000).toFixed(0)} s after every client connected. ` +
        `The clients are the same code for all three (bench/reference-servers/client.ts, plain WebSockets for the edge and bare uWS, socket.io-client for Socket.IO), in one process on this machine. ` +
        `The edge (edge/main.ts, one process) receives the messages from NATS (core publish of \`room.<room>\`, as the producers do) and forwards them; the reference servers generate them in-process, so the edge's figures include its NATS hop and its latency includes NATS. ` +
        `"delivered" = messages handed to sockets as counted by the server (publishes × subscribers); CPU = server process user + system time in the window ÷ delivered; RSS per connection = (RSS at the end − RSS before any client) ÷ connections; a total growth under ${RSS_NOISE_BYTES / 2 ** 20} MiB is within a server's own heap noise and shown as an upper bound ("≤ … (noise)"), and the memory ratio then as a lower bound.`,
      "",
    );
  }
  for (const s of stages) {
    out.push(`### ${s.load.clients.toLocaleString("en-US")} clients`, "");
    const rows = (["edge", "uws", "socketio"] as const).map((k) => (s[k] ? row(s[k]!) : [NAME[k], "failed", ...HEADER.slice(2).map(() => "")]));
    rows.push(ratioRow("ratio edge ÷ bare uWS", s.edge, s.uws), ratioRow("ratio Socket.IO ÷ edge", s.socketio, s.edge));
    out.push(table(HEADER, rows), "");
    out.push(table(["target", "ratio", "wanted", "verdict"], s.verdicts.map((v) => [v.what, v.ratio === undefined || !Number.isFinite(v.ratio) ? "n/a" : `${v.atLeast ? "≥ " : ""}${v.ratio.toFixed(2)}×`, v.target, mark(v.met)])), "");
    if (s.edge?.idleCpuMsPerSec !== undefined) {
      const fixed = s.edge.idleCpuMsPerSec / 1000 / (s.edge.delivered / s.edge.windowSec) * 1e6;
      out.push(`Edge without clients (producer running): ${f(s.edge.idleCpuMsPerSec, 1)} ms CPU per second — its fixed cost (NATS, timers, sweeps), ${f(fixed)} µs of the ${f(s.edge.cpuUsPerDelivered)} µs per delivered message at this rate.`, "");
    }
    for (const e of s.errors) out.push(`- **failed:** ${e}`);
    if (s.errors.length) out.push("");
  }
  const all = stages.flatMap((s) => s.verdicts.map((v) => ({ ...v, clients: s.load.clients })));
  const missed = all.filter((v) => v.met === false);
  const unknown = all.filter((v) => v.met === undefined);
  out.push(
    `**Targets:** ${all.length - missed.length - unknown.length} of ${all.length} met` +
      (missed.length ? `; missed: ${missed.map((v) => `${v.what} at ${v.clients} clients (${f(v.ratio)}×, wanted ${v.target})`).join("; ")}` : "") +
      (unknown.length ? `; not measured: ${unknown.map((v) => `${v.what} at ${v.clients} clients`).join("; ")}` : "") +
      ".",
  );
  return out.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: a } = parseArgs({
    options: {
      clients: { type: "string", default: "1000,5000" },
      rooms: { type: "string", default: "100" },
      "rooms-per-client": { type: "string", default: "10" },
      rate: { type: "string", default: "1" },
      payload: { type: "string", default: "100" },
      duration: { type: "string", default: "10" },
      "source-ips": { type: "string", default: "16" },
      quick: { type: "boolean", default: false },
      "no-report": { type: "boolean", default: false },
    },
  });
  const num = (name: keyof typeof a, min: number) => {
    const n = Number(a[name]);
    if (!Number.isFinite(n) || n < min) throw new RangeError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(a[name])}`);
    return n;
  };
  const sizes = String(a.clients).split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new RangeError(`--clients must be positive integers, got ${JSON.stringify(a.clients)}`);
  const stages: SideStage[] = [];
  for (const clients of sizes) {
    stages.push(await runSideStage({
      clients,
      rooms: num("rooms", 1),
      roomsPerClient: num("rooms-per-client", 1),
      rate: num("rate", 0.1),
      payloadBytes: num("payload", 0),
      durationMs: num("duration", 1) * 1000,
      sourceIps: num("source-ips", 1),
    }));
  }
  const md = sideMarkdown(stages, a.quick === true);
  console.log("\n" + md);
  if (!a["no-report"]) writeBenchSection("side-by-side", "Side by side: Tickflow edge, bare uWS, Socket.IO", md);
  const failed = stages.some((s) => s.errors.length > 0);
  console.log(`SIDE_BY_SIDE_RESULT ${JSON.stringify(stages.map((s) => ({ clients: s.load.clients, errors: s.errors, verdicts: s.verdicts })))}`);
  const verdicts = stages.flatMap((s) => s.verdicts.map((v) => ({ ...v, key: `${v.what} (${s.load.clients} clients)` })));
  reportResult({
    name: "side-by-side",
    figures: Object.fromEntries(verdicts.map((v) => [v.key, v.ratio ?? null])),
    targets: Object.fromEntries(verdicts.map((v) => [v.key, `${v.target}${v.atLeast ? " (measured ratio is a lower bound)" : ""}`])),
    met: Object.fromEntries(verdicts.map((v) => [v.key, v.met ?? null])),
  });
  process.exit(failed ? 1 : 0);
}
