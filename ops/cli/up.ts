/**
 * `ops up` — the local stack that `npm start` runs: NATS (reused or started), the
 * exchange simulator, actor hosts and the edge serving the dashboard. Prints the
 * dashboard URL and a live one-line status; Ctrl-C stops everything in reverse order.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, natsSettings } from "../../actors/config.ts";
import { connectNats } from "../../actors/nats.ts";
import type { NatsConnection } from "@nats-io/nats-core";
import { waitForPort } from "../testing/nats-server.ts";
import { ensureNats } from "./nats-local.ts";
import { type Proc, startTs, stopAll } from "./procs.ts";
import { collectStatus } from "./status.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const exists = (rel: string) => existsSync(join(ROOT, rel));
const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export const upHelp = `Usage: tickflow up [--hosts N] [--no-sim] [--port P] [--quiet]

Starts the local stack: NATS (reuses NATS_URL if a server answers, else starts
nats-server with JetStream in ./data/nats), the exchange simulator, N actor hosts
(default 1) and the edge with the dashboard on --port (default EDGE_PORT or 8080).
Logs of every process are prefixed with its name (--quiet hides them). Ctrl-C stops
everything in reverse order within 10 s.`;

export async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: "string", default: "1" },
      "no-sim": { type: "boolean" },
      port: { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  const hosts = Number(values.hosts);
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 16) throw new RangeError(`--hosts must be 1..16, got ${values.hosts}`);
  const quiet = values.quiet ?? false;
  const edgePort = Number(values.port ?? process.env.EDGE_PORT ?? 8080);
  const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const procs: Proc[] = [];
  const steps: Array<[string, "…" | "✓" | "✗"]> = [];
  let frame = 0;
  const tty = process.stdout.isTTY;
  const progress = setInterval(() => {
    if (!tty) return;
    process.stdout.write(`\r\x1b[2K${SPIN[frame++ % SPIN.length]} starting: ${steps.map(([n, s]) => `${n} ${s}`).join("  ")}`);
  }, 100);
  const step = (name: string) => {
    steps.push([name, "…"]);
    if (!tty) console.log(`starting ${name}…`);
    return (ok = true) => {
      const s = steps.find(([n]) => n === name);
      if (s) s[1] = ok ? "✓" : "✗";
    };
  };

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    clearInterval(statusTimer);
    console.log(`\nstopping ${procs.map((p) => p.name).reverse().join(", ")}…`);
    await nc?.close().catch(() => {});
    await stopAll(procs, 9500);
    console.log("stopped.");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  let statusTimer: NodeJS.Timeout | undefined;
  let nc: NatsConnection | undefined;

  try {
    let done = step("nats");
    const nats = await ensureNats(natsUrl, join(ROOT, "data"));
    if (nats.proc) procs.push(nats.proc);
    done();
    const env: Record<string, string> = { NATS_URL: nats.url };

    if (!values["no-sim"] && exists("ops/simulator/main.ts")) {
      done = step("simulator");
      const simPort = Number(process.env.SIM_PORT ?? 9100);
      procs.push(startTs("simulator", "ops/simulator/main.ts", { SIM_PORT: String(simPort) }, { quiet, index: 0 }));
      await waitForPort(simPort, "127.0.0.1", 15_000);
      Object.assign(env, {
        FEED: process.env.FEED ?? "sim",
        SIM_URL: process.env.SIM_URL ?? `http://127.0.0.1:${simPort}`,
        COINBASE_WS_URL: process.env.COINBASE_WS_URL ?? `ws://127.0.0.1:${simPort}/coinbase`,
        BINANCE_WS_URL: process.env.BINANCE_WS_URL ?? `ws://127.0.0.1:${simPort}/stream`,
        BINANCE_REST_URL: process.env.BINANCE_REST_URL ?? `http://127.0.0.1:${simPort}`,
        COINGECKO_URL: process.env.COINGECKO_URL ?? `http://127.0.0.1:${simPort}/coingecko/api/v3`,
      });
      done();
    }

    done = step(`host${hosts > 1 ? `s ×${hosts}` : ""}`);
    for (let i = 0; i < hosts; i++) {
      procs.push(startTs(`host-${i + 1}`, "actors/main.ts", { ...env, HOST_ID: process.env.HOST_ID ?? `local-${i + 1}` }, { quiet, index: 1 + i }));
    }
    nc = await connectNats({ ...loadConfig(natsSettings), NATS_URL: nats.url }, "tickflow up");
    const deadline = Date.now() + 30_000;
    while ((await collectStatus(nc, 500)).length < hosts) {
      if (Date.now() > deadline) throw new Error("actor hosts did not come up within 30 s (see their log above)");
      if (procs.some((p) => p.child.exitCode !== null)) throw new Error("a process exited during start-up (see its log above)");
      await new Promise((r) => setTimeout(r, 300));
    }
    done();

    let url: string | undefined;
    if (exists("edge/main.ts")) {
      done = step("edge");
      procs.push(startTs("edge", "edge/main.ts", { ...env, EDGE_PORT: String(edgePort) }, { quiet, index: 5 }));
      await waitForPort(edgePort, "127.0.0.1", 20_000);
      url = `http://127.0.0.1:${edgePort}/`;
      done();
    }
    clearInterval(progress);
    if (tty) process.stdout.write("\r\x1b[2K");
    console.log(`\nTickflow is up.${url ? `  Dashboard: ${url}` : ""}  NATS: ${nats.url}${nats.proc ? " (started here)" : " (reused)"}`);
    console.log("`npm run ops -- status` in another terminal shows every actor; Ctrl-C stops everything.\n");

    const conn = nc;
    statusTimer = setInterval(async () => {
      const st = await collectStatus(conn, 800).catch(() => []);
      const actors = st.flatMap((s) => ("actors" in s ? s.actors.filter((a) => a.kind === "actor") : []));
      const running = actors.filter((a) => a.state === "running").length;
      const restarts = actors.reduce((n, a) => n + a.restarts, 0);
      const line = `● ${st.length} host(s) · ${running}/${actors.length} actors running · ${restarts} restarts${url ? ` · ${url}` : ""}`;
      if (tty && quiet) process.stdout.write(`\r\x1b[2K${line}`);
      else if (!tty || quiet) console.log(line);
    }, quiet ? 2000 : 30_000);

    // If any process dies, say so (the supervisor inside it already tried to recover).
    for (const p of procs) {
      void p.exited.then((code) => {
        if (!stopping) console.error(`\n${p.name} exited with code ${code}; stopping the stack`);
        if (!stopping) void shutdown(1);
      });
    }
    await new Promise(() => {});
    return 0;
  } catch (e) {
    console.error(`\nstart-up failed: ${e instanceof Error ? e.message : String(e)}`);
    await shutdown(1);
    return 1;
  }
}
