/**
 * Micro-benchmark of one shard's per-frame path, without sockets or the simulator:
 * Coinbase `ticker` + `match` frames shaped like the simulator's (one of each per tick,
 * 200 products) → ShardLogic.onFrame (parse, validate, normalise, replay check,
 * batch, encode) → AsyncJetStream → a private nats-server (file storage), acks back.
 * Prints CPU µs per tick of this process and of nats-server, ticks/s and the
 * messages/ticks ratio. Profile: `node --cpu-prof --import tsx actors/ingest/hot-path-bench.ts`.
 *
 * `npx tsx actors/ingest/hot-path-bench.ts --ticks 300000 --rate 60000`
 * (PUBLISH_LINGER_MS etc. from the environment, like the shard). A development tool:
 * it prints one RESULT line and does not write BENCHMARKS.md (bench:ingest does).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ShardLogic } from "./shard.ts";
import { startBus, testSettings } from "./testkit.ts";
import { FakeClock } from "../runtime/clock.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { configureLogging } from "../../lib/platform/log.ts";
import type { Slot } from "./subscriptions.ts";

const { values: a } = parseArgs({
  options: {
    ticks: { type: "string", default: "300000" },
    rate: { type: "string", default: "60000" },
    products: { type: "string", default: "200" },
    trades: { type: "boolean", default: true },
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

async function main(): Promise<void> {
  await configureLogging("warning");
  const bus = await startBus(15_000);
  const env: Record<string, string> = { FEED: "coinbase", TRADES: String(a.trades) };
  for (const k of ["PUBLISH_LINGER_MS", "PUBLISH_MAX_BATCH", "PUBLISH_MAX_IN_FLIGHT"]) if (process.env[k]) env[k] = process.env[k]!;
  const settings = testSettings(env);
  const products = Array.from({ length: N }, (_, i) => `C${i}-USD`);
  // Simulated time: RATE ticks per simulated second, the linger timer on the same clock,
  // so batching (ticks per message) is the same in every run whatever the machine's load.
  const clock = new FakeClock(Date.now());
  let acked = 0;
  let msgs = 0;
  const shard = new ShardLogic({
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
  // Warm-up, then measure: RATE/1000 ticks per simulated ms; real I/O (acks) every 10 simulated ms.
  const perMs = RATE / 1000;
  const run = async (ticks: number) => {
    let sent = 0;
    const t0 = performance.now();
    for (let ms = 1; sent < ticks; ms++) {
      const now = clock.now();
      for (const due = Math.min(ticks, Math.round(ms * perMs)); sent < due; sent++) {
        const [m, t] = frames(sent % N, now);
        if (a.trades) onFrame(m);
        onFrame(t);
      }
      clock.advance(1);
      if (ms % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    clock.advance(1000);
    await shard.publisher.flush();
    return (performance.now() - t0) / 1000;
  };
  await run(Math.min(50_000, TICKS));
  acked = 0;
  msgs = 0;
  const cpu0 = process.cpuUsage();
  const ns0 = cpuOf(bus.ns.pid);
  const secs = await run(TICKS);
  const cpu = process.cpuUsage(cpu0);
  const nsCpu = cpuOf(bus.ns.pid) - ns0;
  const us = (cpu.user + cpu.system) / acked;
  const fig = {
    ticks: acked, seconds: Number(secs.toFixed(2)), ticks_per_s: Math.round(acked / secs),
    shard_cpu_us_per_tick: Number(us.toFixed(2)), nats_cpu_us_per_tick: Number((nsCpu / acked).toFixed(2)),
    ticks_per_msg: Number((acked / msgs).toFixed(2)),
  };
  console.log(`${acked} ticks in ${secs.toFixed(2)} s (${RATE}/s of simulated time): shard ${fig.shard_cpu_us_per_tick} µs CPU/tick (trades ${a.trades ? "on" : "off"}), nats-server ${fig.nats_cpu_us_per_tick} µs/tick, ${fig.ticks_per_msg} ticks per message`);
  console.log(`RESULT ${JSON.stringify({ name: "ingest-hot-path", figures: fig })}`);
  shard.publisher.close();
  await bus.close();
}

await main();
process.exit(0);
