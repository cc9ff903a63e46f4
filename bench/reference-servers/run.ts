/**
 * Side-by-side numbers for the reference servers: starts one (bare uWS or Socket.IO) as
 * a child process, so its CPU and RSS are its own, connects the clients, opens a
 * measurement window (POST /reset), runs, reads GET /stats, and stops it.
 * `runReferenceBench()` is what `npm run bench` uses; the CLI prints a table.
 *
 *   npx tsx bench/reference-servers/run.ts --server both --clients 100 --rooms 10 \
 *     --rooms-per-client 10 --rate 10 --duration 10s
 */
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseDuration } from "../../lib/platform/duration.ts";
import { runClients, type ClientResult } from "./client.ts";
import type { ServerStats } from "./common.ts";
import { benchArgs } from "../args.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

export type ReferenceKind = "uws" | "socketio";
export type ReferenceBenchOptions = {
  server: ReferenceKind;
  clients: number;
  rooms: number;
  roomsPerClient: number;
  /** Messages per second per room. */
  rate: number;
  payloadBytes?: number;
  durationMs: number;
  sourceIps?: number;
};
export type ReferenceBenchResult = { server: ReferenceKind; stats: ServerStats; client: ClientResult };

const FILES: Record<ReferenceKind, string> = { uws: "bare-uws.ts", socketio: "socketio-server.ts" };

export async function runReferenceBench(o: ReferenceBenchOptions): Promise<ReferenceBenchResult> {
  const file = fileURLToPath(new URL(`./${FILES[o.server]}`, import.meta.url));
  const child = spawnTsx(file, {
    args: ["--port", "0", "--rooms", String(o.rooms), "--rate", String(o.rate), "--payload", String(o.payloadBytes ?? 100)],
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      rl.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`${o.server} server exited with code ${code} before listening`)));
    });
    const { port } = JSON.parse(first) as { port: number };
    const http = `http://127.0.0.1:${port}`;
    let stats: ServerStats | undefined;
    const client = await runClients(
      {
        kind: o.server === "uws" ? "ws" : "socketio",
        url: o.server === "uws" ? `ws://127.0.0.1:${port}/ws` : http,
        clients: o.clients,
        rooms: o.rooms,
        roomsPerClient: o.roomsPerClient,
        durationMs: o.durationMs,
        sourceIps: o.sourceIps,
      },
      {
        afterConnect: async () => void (await fetch(`${http}/reset`, { method: "POST" })),
        beforeClose: async () => void (stats = (await (await fetch(`${http}/stats`)).json()) as ServerStats),
      },
    );
    return { server: o.server, stats: stats!, client };
  } finally {
    child.kill("SIGTERM");
  }
}

/** One markdown row per result (for BENCHMARKS.md via bench/report.ts `table`). */
export function resultRow(r: ReferenceBenchResult): Array<string | number> {
  return [
    r.server === "uws" ? "bare uWS" : "Socket.IO",
    r.stats.connections,
    r.stats.delivered,
    r.stats.cpuUsPerDelivered.toFixed(2),
    (r.stats.rssPerConnectionBytes / 1024).toFixed(1),
    r.client.latencyMs.p99.toFixed(1),
    r.client.clientLagP99Ms.toFixed(1),
  ];
}
export const RESULT_HEADER = ["server", "clients", "delivered msgs", "server CPU µs/msg", "RSS KB/conn", "p99 ms", "client lag p99 ms"];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = benchArgs({ strings: ["server", "clients", "rooms", "rooms-per-client", "rate", "payload", "duration", "source-ips"] }).str;
  const which = arg("server", "both");
  const kinds: ReferenceKind[] = which === "both" ? ["uws", "socketio"] : [which as ReferenceKind];
  const rows = [];
  for (const server of kinds) {
    const r = await runReferenceBench({
      server,
      clients: Number(arg("clients", "100")),
      rooms: Number(arg("rooms", "10")),
      roomsPerClient: Number(arg("rooms-per-client", "10")),
      rate: Number(arg("rate", "10")),
      payloadBytes: Number(arg("payload", "100")),
      durationMs: parseDuration(arg("duration", "10s")),
      sourceIps: Number(arg("source-ips", "8")),
    });
    process.stderr.write(`${JSON.stringify(r)}\n`);
    rows.push(resultRow(r));
  }
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  process.stdout.write([line(RESULT_HEADER), line(RESULT_HEADER.map(() => "---")), ...rows.map(line)].join("\n") + "\n");
  process.exit(0);
}
