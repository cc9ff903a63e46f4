/**
 * Simulator throughput benchmark: runs main.ts as a child process at a target tick
 * rate, subscribes all products the way the connection shards do (10 products per
 * Coinbase connection; Binance combined streams), and reports the achieved tick rate,
 * frames received per second and the simulator's CPU use.
 *
 *   npx tsx bench/sim.ts [--rate 50000] [--seconds 10] [--products 500] [--venue coinbase|binance|both] [--write]
 *
 * BENCH_NODE_ARGS adds node flags to the simulator process (e.g. "--cpu-prof").
 * --write stores the result as the "simulator" section of BENCHMARKS.md.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { reportResult, table, writeBenchSection } from "./report.ts";
import { spawnTsx } from "../test/tsx-child.ts";

const { values: a } = parseArgs({
  options: {
    rate: { type: "string", default: "50000" },
    seconds: { type: "string", default: "10" },
    products: { type: "string", default: "500" },
    venue: { type: "string", default: "coinbase" },
    write: { type: "boolean", default: false },
  },
});
const rate = Number(a.rate);
const seconds = Number(a.seconds);
const products = Number(a.products);
const venue = a.venue as "coinbase" | "binance" | "both";

// BENCH_NODE_ARGS: extra node flags for the simulator process (e.g. --cpu-prof).
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const child = spawnTsx("sim/main.ts", {
  nodeArgs,
  env: { SIM_PORT: "0", SIM_SYMBOLS: String(products), SIM_TICK_RATE: String(rate), LOG_LEVEL: "warning" },
  stdio: ["ignore", "pipe", "inherit"],
});
const urls = await new Promise<Record<string, string>>((resolve, reject) => {
  let out = "";
  const got: Record<string, string> = {};
  child.stdout!.on("data", (d) => {
    out += d;
    for (const m of out.matchAll(/^([A-Z_]+)=(\S+)$/gm)) got[m[1]!] = m[2]!;
    if (got.SIM_CONTROL_URL) resolve(got);
  });
  child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
});

/** CPU seconds (user + system) used so far by a process, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

const list = (await (await fetch(`${urls.SIM_CONTROL_URL}/products?limit=${products}`)).json()) as Array<{ coinbase: string; binance: string }>;
let frames = 0;
const sockets: WebSocket[] = [];
const openWs = (url: string, first?: string) =>
  new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("message", () => frames++);
    ws.once("open", () => {
      if (first) ws.send(first);
      resolve();
    });
    ws.once("error", reject);
    sockets.push(ws);
  });
const opening: Promise<void>[] = [];
for (let i = 0; i < list.length; i += 10) {
  const group = list.slice(i, i + 10);
  if (venue !== "binance") {
    opening.push(openWs(urls.COINBASE_WS_URL!, JSON.stringify({ type: "subscribe", product_ids: group.map((p) => p.coinbase), channels: ["ticker", "heartbeat"] })));
  }
  if (venue !== "coinbase") {
    opening.push(openWs(`${urls.BINANCE_WS_URL}?streams=${group.map((p) => `${p.binance.toLowerCase()}@ticker/${p.binance.toLowerCase()}@depth@100ms`).join("/")}`));
  }
}
await Promise.all(opening);
await new Promise((r) => setTimeout(r, 1000)); // warm-up
const cpu0 = cpuSeconds(child.pid!);
const t0 = performance.now();
const f0 = frames;
const s0 = (await (await fetch(`${urls.SIM_CONTROL_URL}/stats`)).json()) as { ticks: number; at: number };
await new Promise((r) => setTimeout(r, seconds * 1000));
const s1 = (await (await fetch(`${urls.SIM_CONTROL_URL}/stats`)).json()) as { ticks: number; at: number };
const dt = (performance.now() - t0) / 1000;
const cpu = (cpuSeconds(child.pid!) - cpu0) / dt;
// Over the window, by the simulator's own clock (two reads of its counters), not its last 1-s sample.
const achieved = ((s1.ticks - s0.ticks) * 1000) / Math.max(1, s1.at - s0.at);
const received = (frames - f0) / dt;
for (const ws of sockets) ws.terminate();
child.kill("SIGTERM");
const code = await new Promise((r) => child.once("exit", r));

const rows = [[venue, products, sockets.length, rate, Math.round(achieved), Math.round(received), `${(cpu * 100).toFixed(0)} %`, String(code)]];
const md = table(["venue", "products", "sockets", "target ticks/s", "achieved ticks/s", "frames received/s", "simulator CPU", "exit"], rows);
console.log(md);
if (a.write) {
  writeBenchSection("simulator", "Exchange simulator", `\`npx tsx bench/sim.ts --rate ${rate} --seconds ${seconds} --venue ${venue}\`\n\n${md}`);
}
reportResult({
  name: "simulator",
  figures: { target_ticks_per_s: rate, achieved_ticks_per_s: Math.round(achieved), frames_per_s: Math.round(received), cpu_of_one_core: cpu },
});
