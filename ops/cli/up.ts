/**
 * `ops up` — the local stack that `npm start` runs: NATS (reused, or started: one node
 * or a local cluster of N), the exchange simulator, actor hosts and the edge serving the
 * dashboard. Every child runs in its own process group and is restarted with backoff
 * when it exits unexpectedly (logged, counted in the status line). The stack stops only
 * on Ctrl-C/SIGTERM: edge, hosts, simulator, then nats-server, each given time to flush.
 */
import { upHelp } from "./up-help.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { busSettings, loadConfig, natsSettings } from "../../lib/platform/config.ts";
import { connectNats } from "../../lib/platform/nats.ts";
import type { NatsConnection } from "@nats-io/nats-core";
import { waitForPort } from "../../lib/platform/net.ts";
import { planNats, waitNats } from "./nats-local.ts";
import { type ProcSpec, stopTiers, Supervised, tsCommand } from "./procs.ts";
import { collectStatus } from "./status.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const exists = (rel: string) => existsSync(join(ROOT, rel));
const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Whole-stack stop budget: the issue's 10 s, less the time `up` itself needs to exit. */
const STOP_BUDGET_MS = Number(process.env.TF_STOP_BUDGET ?? 9500);


const tsSpec = (name: string, entry: string, env: Record<string, string | undefined>, quiet: boolean, index: number): ProcSpec => ({
  name,
  ...tsCommand(entry),
  env,
  opts: { quiet, index },
});

interface Stack {
  nats: Supervised[];
  sim: Supervised[];
  hosts: Supervised[];
  edge: Supervised[];
}

const all = (st: Stack) => [...st.nats, ...st.sim, ...st.hosts, ...st.edge];

/** Restart bookkeeping shared by every child: logged when it happens, counted in the status line. */
function supervisor(stopping: () => boolean) {
  let restarts = 0;
  const o = {
    onExit: (name: string, code: number | string | null, delayMs: number) => {
      const how = typeof code === "string" ? `killed by ${code}` : `code ${code}`;
      if (!stopping()) console.warn(`\n${name} exited unexpectedly (${how}); restarting in ${(delayMs / 1000).toFixed(1)} s`);
    },
    onRestart: (name: string, n: number) => {
      restarts++;
      console.warn(`${name} restarted (restart ${n} of ${name})`);
    },
  };
  return { start: (spec: ProcSpec) => new Supervised(spec, o), restarts: () => restarts };
}

export async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: "string", default: "1" },
      cluster: { type: "string", default: "1" },
      "no-sim": { type: "boolean" },
      port: { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  const hosts = Number(values.hosts);
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 16) throw new RangeError(`--hosts must be 1..16, got ${values.hosts}`);
  const cluster = Number(values.cluster);
  if (![1, 3, 5].includes(cluster)) throw new RangeError(`--cluster must be 1, 3 or 5, got ${values.cluster}`);
  const quiet = values.quiet ?? false;
  const edgePort = Number(values.port ?? process.env.EDGE_PORT ?? 8080);
  const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const stack: Stack = { nats: [], sim: [], hosts: [], edge: [] };
  const progress = startProgress();
  let stopping = false;
  const sup = supervisor(() => stopping);
  let statusTimer: NodeJS.Timeout | undefined;
  let nc: NatsConnection | undefined;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    progress.stop();
    clearInterval(statusTimer);
    const t0 = Date.now();
    console.log(`\nstopping ${[...stack.edge, ...stack.hosts, ...stack.sim, ...stack.nats].map((p) => p.name).join(", ")}…`);
    await nc?.close().catch(() => {});
    const killed = await stopTiers([stack.edge, stack.hosts, stack.sim, stack.nats], STOP_BUDGET_MS);
    if (killed.length) console.warn(`had to kill ${killed.join(", ")} (no exit within the stop budget)`);
    console.log(`stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    let done = progress.step("nats");
    const plan = await planNats(natsUrl, join(ROOT, "data"), cluster);
    for (const spec of plan.specs) stack.nats.push(sup.start(spec));
    await Promise.all(plan.addrs.map((a) => waitNats(a, () => false, 15_000)));
    done();
    const env: Record<string, string> = { NATS_URL: plan.url };
    if (cluster > 1) env.STREAM_REPLICAS = process.env.STREAM_REPLICAS ?? String(cluster);

    if (!values["no-sim"] && exists("sim/main.ts")) {
      done = progress.step("simulator");
      const simPort = Number(process.env.SIM_PORT ?? 9100);
      stack.sim.push(sup.start(tsSpec("simulator", "sim/main.ts", { SIM_PORT: String(simPort) }, quiet, 0)));
      await waitForPort(simPort, "127.0.0.1", 15_000);
      Object.assign(env, simEnv(simPort));
      done();
    }

    // The archiver runs in a host of its own (unless ACTORS is set, or TICKFLOW_ARCHIVER=shared):
    // sharing one event loop with the shards and coalescers it fell behind the default feed
    // on a loaded machine (bench:soak, 3 min: lag 170 s and growing; own process: 5–16 s).
    const ownArchiver = !process.env.ACTORS && process.env.TICKFLOW_ARCHIVER !== "shared";
    const hostCount = hosts + (ownArchiver ? 1 : 0);
    // Loaded here, not at the top: every tickflow command imports this file.
    const others = ownArchiver ? (await import("../../actors/registry.ts")).defaultActors.filter((a) => a !== "archiver").join(",") : "";
    done = progress.step(`host${hostCount > 1 ? `s ×${hostCount}` : ""}`);
    for (let i = 0; i < hosts; i++) {
      const hostEnv: Record<string, string> = { ...env, HOST_ID: process.env.HOST_ID ?? `local-${i + 1}` };
      if (ownArchiver) hostEnv.ACTORS = others;
      stack.hosts.push(sup.start(tsSpec(`host-${i + 1}`, "actors/main.ts", hostEnv, quiet, 1 + i)));
    }
    if (ownArchiver) {
      const archiverEnv: Record<string, string> = { ...env, HOST_ID: `${process.env.HOST_ID ?? "local"}-archiver`, ACTORS: "archiver" };
      // Its metrics on the next port (the host-1 port would be taken: the host exits at start).
      if (process.env.METRICS_PORT && process.env.METRICS_PORT !== "0") archiverEnv.METRICS_PORT = String(Number(process.env.METRICS_PORT) + 1);
      stack.hosts.push(sup.start(tsSpec("archiver", "actors/main.ts", archiverEnv, quiet, 1 + hosts)));
    }
    nc = await connectNats({ ...loadConfig(natsSettings), NATS_URL: plan.url }, "tickflow up");
    const deadline = Date.now() + 30_000;
    while ((await collectStatus(nc, 500)).length < hostCount) {
      if (Date.now() > deadline) throw new Error("actor hosts did not come up within 30 s (see their log above)");
      await new Promise((r) => setTimeout(r, 300));
    }
    done();

    let url: string | undefined;
    if (exists("edge/main.ts")) {
      done = progress.step("edge");
      stack.edge.push(sup.start(tsSpec("edge", "edge/main.ts", { ...env, EDGE_PORT: String(edgePort) }, quiet, 5)));
      await waitForPort(edgePort, "127.0.0.1", 20_000);
      url = `http://127.0.0.1:${edgePort}/`;
      done();
    }
    progress.stop();
    const natsNote = plan.specs.length ? (cluster > 1 ? ` (${cluster}-node cluster started here, R${cluster} streams)` : " (started here)") : " (reused)";
    console.log(`\nTickflow is up.${url ? `  Dashboard: ${url}` : ""}  NATS: ${plan.url}${natsNote}`);
    console.log(storageLine());
    console.log("`npm run ops -- status` in another terminal shows every actor; Ctrl-C stops everything.\n");
    statusTimer = statusLine(nc, stack, sup.restarts, url, quiet);
    await new Promise(() => {});
    return 0;
  } catch (e) {
    console.error(`\nstart-up failed: ${e instanceof Error ? e.message : String(e)}`);
    await shutdown(1);
    return 1;
  }
}

/**
 * Upstream URLs of the local simulator, and reconnect settings that suit it: it comes
 * back in seconds after a crash, so the venue circuit breaker half-opens after 5 s and
 * reconnects back off to at most 5 s (the defaults, 60 s and 30 s, are for real venues).
 */
const size = (b: number) => (b < 0 ? "unlimited" : b >= 1024 ** 3 ? `${+(b / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(b / 1024 ** 2)} MiB`);

/** What the streams may hold on disk (the hosts apply the same settings). */
function storageLine(): string {
  const b = loadConfig(busSettings, process.env);
  const h = (ms: number) => `${+(ms / 3_600_000).toFixed(1)} h`;
  return `Storage: MD ≤ ${size(b.MD_MAX_BYTES)} / ${h(b.MD_MAX_AGE)} (MD_MAX_BYTES), ROOMLOG ≤ ${size(b.ROOMLOG_MAX_BYTES)} / ` +
    `${h(b.ROOMLOG_MAX_AGE)} (ROOMLOG_MAX_BYTES); a warning at 80 %, the oldest dropped at 100 %. Lake: ./data/lake.`;
}

function simEnv(simPort: number): Record<string, string> {
  return {
    BREAKER_HALF_OPEN_MS: process.env.BREAKER_HALF_OPEN_MS ?? "5000",
    RECONNECT_MAX_MS: process.env.RECONNECT_MAX_MS ?? "5000",
    FEED: process.env.FEED ?? "sim",
    SIM_URL: process.env.SIM_URL ?? `http://127.0.0.1:${simPort}`,
    COINBASE_WS_URL: process.env.COINBASE_WS_URL ?? `ws://127.0.0.1:${simPort}/coinbase`,
    BINANCE_WS_URL: process.env.BINANCE_WS_URL ?? `ws://127.0.0.1:${simPort}/stream`,
    BINANCE_REST_URL: process.env.BINANCE_REST_URL ?? `http://127.0.0.1:${simPort}`,
    COINGECKO_URL: process.env.COINGECKO_URL ?? `http://127.0.0.1:${simPort}/coingecko/api/v3`,
  };
}

/** The start-up spinner (a TTY) or one line per step (a log). */
function startProgress() {
  const steps: Array<[string, "…" | "✓" | "✗"]> = [];
  let frame = 0;
  const tty = process.stdout.isTTY;
  const timer = setInterval(() => {
    if (!tty) return;
    process.stdout.write(`\r\x1b[2K${SPIN[frame++ % SPIN.length]} starting: ${steps.map(([n, s]) => `${n} ${s}`).join("  ")}`);
  }, 100);
  let stopped = false;
  return {
    step(name: string) {
      steps.push([name, "…"]);
      if (!tty) console.log(`starting ${name}…`);
      return (ok = true) => {
        const s = steps.find(([n]) => n === name);
        if (s) s[1] = ok ? "✓" : "✗";
      };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (tty) process.stdout.write("\r\x1b[2K");
    },
  };
}

/** Every 30 s (2 s with --quiet): hosts answering, actors running, actor and process restarts. */
function statusLine(nc: NatsConnection, stack: Stack, restarts: () => number, url: string | undefined, quiet: boolean): NodeJS.Timeout {
  const tty = process.stdout.isTTY;
  return setInterval(async () => {
    const st = await collectStatus(nc, 800).catch(() => []);
    const actors = st.flatMap((s) => ("actors" in s ? s.actors.filter((a) => a.kind === "actor") : []));
    const running = actors.filter((a) => a.state === "running").length;
    const actorRestarts = actors.reduce((n, a) => n + a.restarts, 0);
    const up = all(stack).filter((p) => p.running).length;
    const line = `● ${up}/${all(stack).length} processes · ${restarts()} process restarts · ${st.length} host(s) · ` +
      `${running}/${actors.length} actors running · ${actorRestarts} actor restarts${url ? ` · ${url}` : ""}`;
    if (tty && quiet) process.stdout.write(`\r\x1b[2K${line}`);
    else console.log(line);
  }, quiet ? 2000 : 30_000);
}

export { upHelp };
