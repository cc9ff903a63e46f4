/**
 * Ingest benchmark (`npm run bench:ingest -- --seconds 60`): simulator (own process)
 * → connection shards (this process) → JetStream (a private nats-server). Prints the
 * sustained ticks/s acknowledged by JetStream against the ticks/s the simulator sent
 * over the same window, the p50/p99 latency from the exchange timestamp to the
 * JetStream ack (histogram to 120 s, so an overloaded run shows its real p99), the
 * backlog left at the end (queued + in-flight messages, held bytes), the CPU each process
 * (shard, nats-server, simulator) spent per acknowledged tick, and writes the
 * "ingest" section of BENCHMARKS.md. Target: ≥ 60,000 ticks/s, p99 ≤ 50 ms.
 *
 * Profile: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/ingest.ts`.
 *
 * Options: --seconds N (60) --rate TICKS_PER_S (60000, the simulator's target)
 *          --symbols N (200) --shards N (1) --feed sim|coinbase|binance (coinbase:
 *          one frame per simulated tick) --no-write (do not touch BENCHMARKS.md)
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startNatsServer } from "../test/nats-server.ts";
import { reportResult, table, writeBenchSection } from "./report.ts";
import { configureLogging } from "../lib/platform/log.ts";
import { runIngest } from "../actors/ingest/run.ts";
import { spawnTsx } from "../test/tsx-child.ts";

const { values: a } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    rate: { type: "string", default: "60000" },
    symbols: { type: "string", default: "200" },
    shards: { type: "string", default: "1" },
    feed: { type: "string", default: "coinbase" },
    "no-write": { type: "boolean", default: false },
  },
});
const seconds = Number(a.seconds);
const rate = Number(a.rate);

/** Latency histogram with 0.1 ms bins up to 120 s (percentiles without keeping samples). */
const LAT_BINS = 1_200_000;
class Lat {
  private bins = new Uint32Array(LAT_BINS + 1);
  n = 0;
  add(ms: number): void {
    this.bins[Math.min(LAT_BINS, Math.max(0, Math.round(ms * 10)))]!++;
    this.n++;
  }
  pct(p: number): number {
    let want = Math.ceil((p / 100) * this.n);
    for (let i = 0; i < this.bins.length; i++) if ((want -= this.bins[i]!) <= 0) return i / 10;
    return Infinity;
  }
}

async function main(): Promise<void> {
  await configureLogging((process.env.LOG_LEVEL as "info") ?? "warning");
  const ns = await startNatsServer();
  const sim = spawnTsx("sim/main.ts", {
    env: { SIM_PORT: "0", SIM_SYMBOLS: a.symbols, SIM_TICK_RATE: String(rate), LOG_LEVEL: "warning" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const cleanup = async () => {
    sim.kill("SIGTERM");
    await ns.cleanup();
  };
  try {
    const simUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      sim.stdout!.on("data", (d) => {
        out += d;
        const m = /BINANCE_REST_URL=(\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      sim.once("exit", (c) => reject(new Error(`simulator exited with ${c}`)));
    });
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t00 = Date.now();
    const diag = setInterval(() => {
      const q = run?.shards.reduce((n, sh) => n + (sh.status().publishQueue as number), 0) ?? 0;
      console.log(`[${((Date.now() - t00) / 1000).toFixed(0)}s] loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms max ${(loop.max / 1e6).toFixed(0)} ms, publish queue ${q}, owned ${run ? run.shards.reduce((n, sh) => n + (sh.status().owned as number), 0) : 0}`);
      loop.reset();
    }, 1000);
    diag.unref();
    let ticks = 0;
    let measuring = false;
    const lat = new Lat();
    let run: Awaited<ReturnType<typeof runIngest>> | undefined;
    run = await runIngest(
      {
        ...process.env, NATS_URL: ns.url, SIM_URL: simUrl, ...(await feedEnv(simUrl)),
        SHARDS: a.shards, BOOKS: "false", LEASE_MS: "15000", STALE_MS: "30000",
      },
      {
        onAck: (ts, ackTs) => {
          if (!measuring) return;
          ticks += ts.length;
          for (const t of ts) lat.add(ackTs - t.exchTs);
        },
      },
    );
    const owned = () => run.shards.reduce((n, s) => n + (s.status().owned as number), 0);
    // Warm-up: every product owned and subscribed (at 8 subscribe messages/s that takes a while).
    const t0 = Date.now();
    while (Date.now() - t0 < 90_000 && (await simActive(simUrl)) < Number(a.symbols)) await sleep(500);
    await sleep(2000);
    console.log(`warm-up ${((Date.now() - t0) / 1000).toFixed(1)} s: ${owned()} products owned, ${await simActive(simUrl)} active in the simulator`);
    const sentBefore = await simTicksSent(simUrl);
    // CPU of each process over the window: on a loaded machine CPU per tick says more than ticks/s.
    const cpu0 = { shard: process.cpuUsage(), nats: cpuUs(ns.pid), sim: cpuUs(sim.pid) };
    measuring = true;
    const start = Date.now();
    let last = 0;
    for (let s = 1; s <= seconds; s++) {
      await sleep(start + s * 1000 - Date.now());
      console.log(`${s}s ${ticks - last} ticks/s  p50 ${lat.pct(50)} ms  p99 ${lat.pct(99)} ms`);
      last = ticks;
    }
    measuring = false;
    const elapsed = (Date.now() - start) / 1000;
    const shardCpu = process.cpuUsage(cpu0.shard);
    const perTick = (us: number) => (ticks ? Number((us / ticks).toFixed(2)) : null);
    const cpu = { shard_us_per_tick: perTick(shardCpu.user + shardCpu.system), nats_us_per_tick: perTick(cpuUs(ns.pid) - cpu0.nats), sim_us_per_tick: perTick(cpuUs(sim.pid) - cpu0.sim) };
    const sentAfter = await simTicksSent(simUrl);
    const offered = Math.round((sentAfter.ticks - sentBefore.ticks) / elapsed);
    const backlog = {
      queued: run.shards.reduce((n, sh) => n + sh.publisher.queued(), 0),
      held_bytes: run.shards.reduce((n, sh) => n + sh.publisher.held(), 0),
      slow_consumer_cuts: sentAfter.slowConsumer - sentBefore.slowConsumer,
    };
    const tps = Math.round(ticks / elapsed);
    const p50 = lat.pct(50);
    const p99 = lat.pct(99);
    await run.stop();
    const ok = tps >= 60_000 && p99 <= 50;
    console.log(`\nsustained ${tps} ticks/s of ${offered} offered over ${elapsed.toFixed(1)} s, latency p50 ${p50} ms p99 ${p99} ms, backlog at the end ${JSON.stringify(backlog)}, CPU per acknowledged tick: shard process ${cpu.shard_us_per_tick} µs, nats-server ${cpu.nats_us_per_tick} µs, simulator ${cpu.sim_us_per_tick} µs (target ≥ 60,000/s, p99 ≤ 50 ms: ${ok ? "met" : "not met"})`);
    if (!a["no-write"]) {
      writeBenchSection(
        "ingest",
        "Ingest: simulator → shards → JetStream",
        `Simulator (own process, ${a.symbols} products, target ${rate} ticks/s, offered ${offered}/s: ticks the simulator sent over the measured window) → ${a.shards} shard(s) in one process (feed ${a.feed}, ≤ 10 products per connection, batched async publishes) → JetStream (file storage, one nats-server). Latency: exchange timestamp (ms) → JetStream ack.\n\n` +
          table(["seconds", "ticks/s offered (simulator, same window)", "ticks/s sustained", "p50 ms", "p99 ms", "backlog at end (msgs / bytes)", "CPU µs per tick: shard / nats-server / simulator", "target"], [[elapsed.toFixed(0), offered, tps, p50, p99, `${backlog.queued} / ${backlog.held_bytes}`, `${cpu.shard_us_per_tick} / ${cpu.nats_us_per_tick} / ${cpu.sim_us_per_tick}`, ok ? "met" : "not met"]]),
      );
    }
    reportResult({
      name: "ingest",
      figures: { ticks_per_s: tps, offered_ticks_per_s: offered, p50_ms: p50, p99_ms: p99, seconds: elapsed, backlog_msgs: backlog.queued, backlog_bytes: backlog.held_bytes, slow_consumer_cuts: backlog.slow_consumer_cuts, ...cpu },
      targets: { ticks_per_s: "≥ 60000", p99_ms: "≤ 50" },
      met: { ticks_per_s: tps >= 60_000, p99_ms: Number.isFinite(p99) ? p99 <= 50 : null },
    });
  } finally {
    await cleanup();
  }
}

/** FEED settings for the chosen venue set, all pointing at the simulator. */
async function feedEnv(simUrl: string): Promise<Record<string, string>> {
  const ws = simUrl.replace(/^http/, "ws");
  if (a.feed === "sim") return { FEED: "sim" };
  const rows = (await (await fetch(`${simUrl}/_sim/products?limit=100000`)).json()) as Array<{ coinbase: string; binance: string }>;
  if (a.feed === "coinbase") {
    return { FEED: "coinbase", COINBASE_WS_URL: `${ws}/coinbase`, PRODUCTS: rows.map((r) => `coinbase:${r.coinbase}`).join(",") };
  }
  return { FEED: "binance", BINANCE_WS_URL: `${ws}/stream`, BINANCE_REST_URL: simUrl, PRODUCTS: rows.map((r) => `binance:${r.binance}`).join(",") };
}

/** Ticks the simulator has sent to clients (all venues) and its slow-consumer cuts. */
async function simTicksSent(simUrl: string): Promise<{ ticks: number; slowConsumer: number }> {
  const s = (await (await fetch(`${simUrl}/_sim/stats`)).json()) as { venues: Record<string, { ticksSent?: number; disconnects?: { slowConsumer?: number } }> };
  let ticks = 0;
  let slowConsumer = 0;
  for (const v of Object.values(s.venues)) {
    ticks += v.ticksSent ?? 0;
    slowConsumer += v.disconnects?.slowConsumer ?? 0;
  }
  return { ticks, slowConsumer };
}

async function simActive(simUrl: string): Promise<number> {
  try {
    const s = (await (await fetch(`${simUrl}/_sim/stats`)).json()) as { activeProducts: number };
    return s.activeProducts;
  } catch {
    return 0; // the simulator is busy; ask again
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** CPU µs (user + system) a process has used, from /proc (0 where there is no /proc). */
function cpuUs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12])) / 100) * 1e6; // utime + stime in clock ticks (100/s)
  } catch {
    return 0;
  }
}

await main();
process.exit(0);
