/**
 * Micro-benchmark of one shard's per-frame path, without sockets or the simulator:
 * Coinbase `ticker` + `match` frames shaped like the simulator's (one of each per tick,
 * 200 products) → ShardService.onFrame (parse, validate, normalise, replay check,
 * batch, encode) → AsyncJetStream → a private nats-server (file storage), acks back.
 * Prints CPU µs per tick of this process and of nats-server, ticks/s and the
 * messages/ticks ratio. Profile: `node --cpu-prof --import tsx actors/ingest/hot-path-bench.ts`.
 *
 * `npx tsx actors/ingest/hot-path-bench.ts --ticks 300000 --rate 60000`
 * (PUBLISH_LINGER_MS etc. from the environment, like the shard; each checkout's own
 * defaults otherwise). `--vs ../other-checkout` runs that checkout's shard code and this
 * one alternately (`--rounds`) in one process on one nats-server: a side-by-side that a
 * loaded machine disturbs equally. A development tool: it prints one RESULT line and
 * does not write BENCHMARKS.md (bench:ingest does).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import type { ShardService } from "./shard.ts";
import { startBus } from "./testkit.ts";
import { configureLogging } from "../../lib/platform/log.ts";
import type { Slot } from "./subscriptions.ts";

const { values: a } = parseArgs({
  options: {
    ticks: { type: "string", default: "300000" },
    rate: { type: "string", default: "60000" },
    products: { type: "string", default: "200" },
    trades: { type: "boolean", default: true },
    /** Another checkout (e.g. a worktree of main): run its shard code and this one in turn, in this process. */
    vs: { type: "string" },
    rounds: { type: "string", default: "3" },
  },
});
const TICKS = Number(a.ticks);
const RATE = Number(a.rate);
const N = Number(a.products);

const cpuOf = (pid: number | undefined): number => {
  if (!pid) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6; // utime + stime, clock ticks (100/s) → µs
};

const iso = (ms: number, micro: number) => new Date(ms).toISOString().slice(0, 23) + String(micro).padStart(3, "0") + "Z";

interface Figures {
  ticks: number;
  seconds: number;
  ticks_per_s: number;
  shard_cpu_us_per_tick: number;
  nats_cpu_us_per_tick: number;
  ticks_per_msg: number;
}

/** One measured run of the shard code under `root` (a checkout), on `bus`. */
async function runOnce(root: string, bus: Awaited<ReturnType<typeof startBus>>): Promise<Figures> {
  const m = async <T>(p: string): Promise<T> => (await import(join(root, p))) as T;
  const { ShardService: Shard } = await m<{ ShardService: typeof ShardService }>("actors/ingest/shard.ts");
  const { testSettings } = await m<typeof import("./testkit.ts")>("actors/ingest/testkit.ts");
  const { FakeClock } = await m<typeof import("../runtime/mod.ts")>("actors/runtime/mod.ts");
  const { Metrics } = await m<typeof import("../../lib/platform/metrics.ts")>("lib/platform/metrics.ts");
  const env: Record<string, string> = { FEED: "coinbase", TRADES: String(a.trades) };
  for (const k of ["PUBLISH_LINGER_MS", "PUBLISH_MAX_BATCH", "PUBLISH_MAX_IN_FLIGHT"]) if (process.env[k]) env[k] = process.env[k]!;
  const settings = testSettings(env);
  const products = Array.from({ length: N }, (_, i) => `C${i}-USD`);
  // Simulated time: RATE ticks per simulated second, the linger timer on the same clock,
  // so batching (ticks per message) is the same in every run whatever the machine's load.
  const clock = new FakeClock(Date.now());
  let acked = 0;
  let msgs = 0;
  const shard = new Shard({
    shardId: "hot", js: undefined as never, nc: bus.nc, kv: bus.kv.shards!, leaseMs: 15_000, clock,
    metrics: new Metrics(), settings, endpoints: [{ venue: "coinbase", wsUrl: "ws://127.0.0.1:1/coinbase" } as never],
    products: { coinbase: products }, coinbaseGapCheck: true,
  });
  shard.publisher.setOnAck((ts) => {
    acked += ts.length;
    msgs++;
  });
  const v = shard.venues.get("coinbase")!;
  const slot = { id: "c0", products: new Set(products), transport: {} } as unknown as Slot;
  const onFrame = (raw: string) => (shard as unknown as { onFrame(v: unknown, s: Slot, r: string): void }).onFrame(v, slot, raw);
  const seq = new Array<number>(N).fill(1000);
  const tradeId = new Array<number>(N).fill(5000);
  let micro = 0;
  let lastMs = 0;
  const frames = (i: number, now: number): [string, string] => {
    if (now !== lastMs) (lastMs = now), (micro = 0);
    else micro = (micro + 1) % 1000;
    const t = iso(now, micro);
    const p = products[i]!;
    const s = ++seq[i]!;
    const id = ++tradeId[i]!;
    const px = (100 + (s % 997) / 100).toFixed(2);
    return [
      `{"type":"match","trade_id":${id},"sequence":${s},"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","time":"${t}","product_id":"${p}","size":"0.0012${s % 10}","price":"${px}","side":"buy"}`,
      `{"type":"ticker","sequence":${s},"product_id":"${p}","price":"${px}","open_24h":"99.50","volume_24h":"12345.6789${s % 10}","low_24h":"98.10","high_24h":"103.20","volume_30d":"456789.123","best_bid":"${px}","best_bid_size":"0.5${s % 10}","best_ask":"${(Number(px) + 0.01).toFixed(2)}","best_ask_size":"1.2${s % 10}","side":"sell","time":"${t}","trade_id":${id},"last_size":"0.0012${s % 10}"}`,
    ];
  };
  // RATE/1000 ticks per simulated ms; real I/O (acks) every 10 simulated ms. Making the
  // frames (the simulator's work, not the shard's) is left out of the CPU figure.
  const perMs = RATE / 1000;
  const run = async (ticks: number) => {
    let cpuUs = 0;
    let secs = 0;
    const ns0 = cpuOf(bus.ns.pid);
    const chunk: string[] = [];
    for (let ms = 0, sent = 0; sent < ticks;) {
      // 10 simulated ms of frames, made outside the measured time.
      chunk.length = 0;
      for (let k = 1; k <= 10; k++) {
        const now = clock.now() + k;
        for (const due = Math.min(ticks, Math.round((ms + k) * perMs)); sent < due; sent++) {
          const [mf, tf] = frames(sent % N, now);
          if (a.trades) chunk.push(mf);
          chunk.push(tf);
        }
        chunk.push(""); // end of this ms
      }
      ms += 10;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const f of chunk) {
        if (f !== "") onFrame(f);
        else clock.advance(1);
      }
      await new Promise((r) => setImmediate(r));
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
      secs += (performance.now() - t0) / 1000;
    }
    const c0 = process.cpuUsage();
    clock.advance(1000);
    await shard.publisher.flush();
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    return { secs, cpuUs, nsUs: cpuOf(bus.ns.pid) - ns0 };
  };
  await run(Math.min(50_000, TICKS)); // warm-up
  acked = 0;
  msgs = 0;
  const r = await run(TICKS);
  shard.publisher.close();
  return {
    ticks: acked, seconds: Number(r.secs.toFixed(2)), ticks_per_s: Math.round(acked / r.secs),
    shard_cpu_us_per_tick: Number((r.cpuUs / acked).toFixed(2)), nats_cpu_us_per_tick: Number((r.nsUs / acked).toFixed(2)),
    ticks_per_msg: Number((acked / msgs).toFixed(2)),
  };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await configureLogging("warning");
  const bus = await startBus(15_000);
  const here = resolve(import.meta.dirname, "..", "..");
  const roots = a.vs ? [resolve(a.vs), here] : [here];
  const runs = new Map<string, Figures[]>(roots.map((r) => [r, []]));
  for (let i = 0; i < (a.vs ? Number(a.rounds) : 1); i++) {
    for (const root of roots) {
      const f = await runOnce(root, bus);
      runs.get(root)!.push(f);
      console.log(`${root}: ${f.ticks} ticks, shard ${f.shard_cpu_us_per_tick} µs CPU/tick (trades ${a.trades ? "on" : "off"}), nats-server ${f.nats_cpu_us_per_tick} µs/tick, ${f.ticks_per_msg} ticks per message, ${f.ticks_per_s} ticks/s`);
    }
  }
  const summary = Object.fromEntries([...runs].map(([root, fs]) => [root === here ? "this" : root, {
    shard_cpu_us_per_tick: median(fs.map((f) => f.shard_cpu_us_per_tick)),
    nats_cpu_us_per_tick: median(fs.map((f) => f.nats_cpu_us_per_tick)),
    ticks_per_msg: median(fs.map((f) => f.ticks_per_msg)),
    ticks_per_s: median(fs.map((f) => f.ticks_per_s)),
  }]));
  console.log(`RESULT ${JSON.stringify({ name: "ingest-hot-path", figures: summary })}`);
  await bus.close();
}

await main();
process.exit(0);
