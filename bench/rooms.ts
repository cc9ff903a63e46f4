/**
 * Benchmark of the coalescer (`npm run bench:rooms`): ticks in at a fixed rate, room
 * messages out. Writes the "rooms" section of BENCHMARKS.md.
 *
 * Set-up: a private nats-server; the coalescer runs alone in a child process (so
 * process.cpuUsage() measures only it), this process publishes TickBatch messages to
 * JetStream at BENCH_RATE ticks/s (default 50,000), BENCH_TICKS_PER_MSG ticks per
 * message (default 10: shards batch ticks of one symbol), over BENCH_SYMBOLS symbols
 * (default 200), for BENCH_SECONDS (default 20) after a 2 s warm-up. Messages are built
 * from per-symbol templates (only price, times and seq are filled in), so the
 * publisher spends little CPU; up to 1,024 publishes are in flight.
 *
 * Measured:
 * - coalescer CPU (user + system) per 1,000 ticks, and its share of one core;
 * - latency from tick receipt by the coalescer to the publish of the room message that
 *   carries it (ticks overwritten within an interval count with the message that
 *   superseded them), p50/p99 weighted by ticks; target p99 ≤ COALESCE_INTERVAL + 10 ms;
 *   and to the PubAck of that flush (JetStream has stored it), p99/max;
 * - end to end, tick publish (exchTs) → room message seen by a subscriber, p99.
 *
 * BENCH_COALESCERS (default "1,2,4"): one run per count, each coalescer in its own
 * child process; CPU per 1,000 ticks offered is reported per coalescer and in sum.
 *
 * Environment: BENCH_RATE, BENCH_SECONDS, BENCH_TICKS_PER_MSG, BENCH_SYMBOLS,
 * BENCH_ASYNC_TRACES=1 (nats.js request stack traces on, as by default), COALESCE_INTERVAL, BENCHMARKS_FILE (see bench/report.ts), BENCH_PROFILE_DIR (write a
 * V8 CPU profile of the coalescer there).
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { loadavg } from "node:os";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { BUCKET, ensureBuckets, ensureStreams } from "../lib/platform/streams.ts";
import { subjects } from "../lib/contracts/subjects.ts";
import { systemClock } from "../actors/runtime/mod.ts";
import { loadConfig } from "../lib/platform/config.ts";
import { startNatsServer } from "../test/nats-server.ts";
import { reportResult, table, writeBenchSection } from "./report.ts";
import { benchArgs } from "./args.ts";
import { coalescerSettings } from "../actors/coalescer/mod.ts";
import { CoalescerService } from "../actors/coalescer/mod.ts";
import { spawnTsx } from "../test/tsx-child.ts";

const env = process.env;
const RATE = Number(env.BENCH_RATE ?? 50_000);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const PER_MSG = Number(env.BENCH_TICKS_PER_MSG ?? 10);
const SYMBOLS = Number(env.BENCH_SYMBOLS ?? 200);
const WARMUP_MS = 2000;
const INTERVAL = loadConfig(coalescerSettings, env).COALESCE_INTERVAL;

/** Weighted percentile of [value, weight] pairs. */
function percentile(xs: Array<[number, number]>, p: number): number {
  const s = [...xs].sort((a, b) => a[0] - b[0]);
  const total = s.reduce((n, x) => n + x[1], 0);
  let acc = 0;
  for (const [v, w] of s) if ((acc += w) >= total * p) return v;
  return s.at(-1)?.[0] ?? NaN;
}

// ------------------------------------------------------------------ child: the coalescer

async function child(url: string): Promise<void> {
  // Without this, nats.js captures a stack trace for every request (each room message's
  // PubAck): ~5 % of the coalescer's CPU in profiles. Hosts should set it too (see README).
  const nc = await connect({ servers: url, noAsyncTraces: env.BENCH_ASYNC_TRACES !== "1" });
  const svc = new CoalescerService({
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    kv: await new Kvm(nc).open(BUCKET.coalescers),
    clock: systemClock,
    leaseMs: 10_000,
    memberId: `bench-${process.pid}`,
    config: loadConfig(coalescerSettings, env),
    onLatency: (sentMs, ackedMs, ticks) => {
      if (!measuring) return;
      sent.push([sentMs, ticks]);
      acked.push([ackedMs, ticks]);
    },
  });
  let measuring = false;
  const sent: Array<[number, number]> = [];
  const acked: Array<[number, number]> = [];
  await svc.start();
  // The parent starts when the children's active partitions add up to all of them.
  let reported = -1;
  const report = setInterval(() => {
    const n = svc.core.ownedPartitions().filter((p) => svc.core.isActive(p)).length;
    if (n !== reported) console.log(JSON.stringify({ type: "owned", n: (reported = n) }));
  }, 100);
  let cpu0 = process.cpuUsage();
  let ticks0 = 0;
  let pub0 = 0;
  let msgs0 = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "start") {
      measuring = true;
      cpu0 = process.cpuUsage();
      ticks0 = svc.stats.ticks;
      pub0 = svc.stats.published;
      msgs0 = svc.stats.messages;
    } else if (line === "stop") {
      clearInterval(report);
      const cpu = process.cpuUsage(cpu0);
      measuring = false;
      const stats = { ...svc.stats, ticks: svc.stats.ticks - ticks0, published: svc.stats.published - pub0, messages: svc.stats.messages - msgs0 };
      await svc.stop();
      await nc.close();
      // A large line: wait until it is written, or process.exit() below cuts it off.
      const line = JSON.stringify({ type: "result", cpuUs: cpu.user + cpu.system, stats, sent, acked }) + "\n";
      await new Promise<void>((resolve) => process.stdout.write(line, () => resolve()));
      return;
    }
  }
}

// ------------------------------------------------------------------ parent: publisher and report

interface Child {
  proc: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
  owned: number;
}

function startChild(url: string, k: number): Child {
  const prof = env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${env.BENCH_PROFILE_DIR}`] : [];
  const proc = spawnTsx(import.meta.filename, { nodeArgs: prof, args: ["--child", url], stdio: ["pipe", "pipe", "inherit"], env });
  proc.once("exit", (code, signal) => { if (code !== 0) console.error(`coalescer child ${k} exited with code ${code} signal ${signal}`); });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const c: Child = {
    proc,
    owned: 0,
    next: async (type: string) => {
      for (;;) {
        const { value, done } = await lines.next();
        if (done) throw new Error(`coalescer child ${k} exited before "${type}"`);
        try {
          const msg = JSON.parse(value as string);
          if (msg.type === "owned") c.owned = msg.n;
          if (msg.type === type) return msg;
        } catch { /* a log line */ }
      }
    },
  };
  return c;
}

/** Wait until the children's active partitions add up to all of them, each holding some (60 s at most). */
async function settle(children: Child[]): Promise<void> {
  const partitions = loadConfig(coalescerSettings, env).COALESCER_PARTITIONS;
  const pumps = children.map((c) => c.next("never").catch(() => undefined));
  const t0 = Date.now();
  while (!(children.every((c) => c.owned > 0) && children.reduce((x, c) => x + c.owned, 0) === partitions)) {
    if (Date.now() - t0 > 60_000) throw new Error(`coalescers did not settle: ${children.map((c) => c.owned).join(",")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  void pumps;
  await new Promise((r) => setTimeout(r, 1000)); // given-up partitions' consumers are deleted
}

/** The table row and RESULT figures of one run: the load sent, the children's reports and the end-to-end latencies seen. */
function summarise(n: number, load: { msgs: number; elapsed: number; errors: number; e2e: Array<[number, number]> }, res: Array<Record<string, any>>): { row: Array<string | number>; figures: Record<string, number> } {
  const { msgs, elapsed, errors, e2e } = load;
  const totalTicks = msgs * PER_MSG;
  const cpuMs = res.map((r) => r.cpuUs / 1000);
  const perCoalescer = cpuMs.map((ms) => ms / (totalTicks / 1000));
  const mean = perCoalescer.reduce((x, y) => x + y, 0) / n;
  const decoded = res.reduce((x, r) => x + (r.stats.ticks as number), 0);
  const received = res.map((r) => r.stats.messages as number);
  const sentLat = res.flatMap((r) => r.sent as Array<[number, number]>);
  const ackLat = res.flatMap((r) => r.acked as Array<[number, number]>);
  const achieved = totalTicks / (elapsed / 1000);
  const p99 = percentile(sentLat, 0.99);
  const ackP99 = ackLat.length ? percentile(ackLat, 0.99) : Infinity;
  const row = [
    n,
    `${RATE.toLocaleString("en")} → ${Math.round(achieved).toLocaleString("en")}`,
    PER_MSG,
    SYMBOLS,
    mean.toFixed(3),
    Math.max(...perCoalescer).toFixed(3),
    (cpuMs.reduce((x, y) => x + y, 0) / (totalTicks / 1000)).toFixed(3),
    `${Math.round((Math.min(...received) / msgs) * 100)}–${Math.round((Math.max(...received) / msgs) * 100)} %`,
    percentile(sentLat, 0.5).toFixed(0),
    p99.toFixed(0),
    percentile(ackLat, 0.99).toFixed(0),
    percentile(e2e, 0.99).toFixed(0),
    errors,
  ];
  return {
    row,
    figures: {
      [`c${n}_cpu_ms_per_1k_ticks_per_coalescer`]: Number(mean.toFixed(4)),
      [`c${n}_cpu_ms_per_1k_ticks_total`]: Number((cpuMs.reduce((x, y) => x + y, 0) / (totalTicks / 1000)).toFixed(4)),
      [`c${n}_p99_ms`]: Math.round(p99),
      [`c${n}_p99_to_puback_ms`]: Math.round(ackP99),
      [`c${n}_ticks_per_s`]: Math.round(achieved),
      [`c${n}_decoded_share`]: Number((decoded / totalTicks).toFixed(3)),
    },
  };
}

/** One run with `n` coalescer processes; returns the table row and RESULT figures. */
async function runWith(n: number): Promise<{ row: Array<string | number>; figures: Record<string, number> }> {
  const ns = await startNatsServer();
  const nc = await connect({ servers: ns.url });
  const children: Child[] = [];
  try {
    await ensureStreams(await jetstreamManager(nc));
    await ensureBuckets(nc, { leaseMs: 10_000, replicas: 1 });
    for (let k = 0; k < n; k++) children.push(startChild(ns.url, k));
    await settle(children);
    const e2e: Array<[number, number]> = [];
    let measuring = false;
    nc.subscribe("room.ticker.*", {
      callback: (_e, m) => {
        if (!measuring) return;
        const s = new TextDecoder().decode(m.data);
        const i = s.indexOf('"exchTs":');
        if (i > 0) e2e.push([Date.now() - Number.parseInt(s.slice(i + 9), 10), 1]);
      },
    });

    const js = jetstream(nc);
    const symbols = Array.from({ length: SYMBOLS }, (_, i) => `B${i}-USD`);
    const heads = symbols.map((s) => `{"venue":"bench","symbol":"${s}","open24h":100,"volume24h":1000,"bid":1,"ask":2,"price":`);
    const subs = symbols.map((s) => subjects.tick("bench", s));
    const enc = new TextEncoder();
    let seq = 0;
    let inflight = 0;
    let sent = 0;
    let errors = 0;
    const build = (k: number): Uint8Array => {
      const now = Date.now();
      const parts: string[] = [];
      for (let j = 0; j < PER_MSG; j++) parts.push(`${heads[k]}${100 + (seq % 1000) / 100},"exchTs":${now},"recvTs":${now},"seq":${++seq}}`);
      return enc.encode(`{"v":1,"ticks":[${parts.join(",")}]}`);
    };
    const msgsPerSec = RATE / PER_MSG;
    const run = async (ms: number) => {
      const t0 = Date.now();
      let due = 0;
      let k = 0;
      while (Date.now() - t0 < ms) {
        due = Math.floor(((Date.now() - t0) / 1000) * msgsPerSec);
        while (sent < due && inflight < 1024) {
          const subj = subs[k]!;
          const body = build(k);
          k = (k + 1) % SYMBOLS;
          inflight++;
          sent++;
          js.publish(subj, body).then(() => inflight--, () => (inflight--, errors++));
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return { sent, elapsed: Date.now() - t0 };
    };
    await run(WARMUP_MS);
    sent = 0;
    for (const c of children) c.proc.stdin!.write("start\n");
    measuring = true;
    const { sent: msgs, elapsed } = await run(SECONDS * 1000);
    while (inflight > 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, INTERVAL * 3));
    measuring = false;
    // The pumps above read every line; results are collected by a second reader per child.
    const results = children.map((c) => new Promise<Record<string, any>>((resolve) => {
      let buf = "";
      c.proc.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const i = buf.indexOf('{"type":"result"');
        const j = i >= 0 ? buf.indexOf("\n", i) : -1;
        if (j > 0) resolve(JSON.parse(buf.slice(i, j)));
      });
    }));
    for (const c of children) c.proc.stdin!.write("stop\n");
    const res = await Promise.all(results);
    await Promise.race([Promise.all(children.map((c) => new Promise((r) => c.proc.once("exit", r)))), new Promise((r) => setTimeout(r, 5000))]);

    return summarise(n, { msgs, elapsed, errors, e2e }, res);
  } finally {
    for (const c of children) c.proc.kill();
    await nc.close().catch(() => {});
    await ns.cleanup();
  }
}

async function main(): Promise<void> {
  const counts = (env.BENCH_COALESCERS ?? "1,2,4").split(",").map(Number);
  const rows: Array<Array<string | number>> = [];
  let figures: Record<string, number> = {};
  for (const n of counts) {
    const r = await runWith(n);
    rows.push(r.row);
    figures = { ...figures, ...r.figures };
  }
  const md = [
    `Each coalescer in its own child process, ${SECONDS} s after a ${WARMUP_MS / 1000} s warm-up; ticks published to JetStream`,
    `by the parent (TickBatch, ${PER_MSG} ticks per message, from per-symbol templates). CPU (user + system) per 1,000 ticks`,
    "offered: \"per coalescer\" is the mean over the coalescers (it falls as they divide the work), \"all\" is their sum.",
    "\"received\": tick messages each coalescer's consumers delivered, as a share of all published (one filtered consumer per",
    "owned partition). p50/p99: tick receipt → publish of the room message that carries it (weighted by ticks); \"to PubAck\":",
    "→ JetStream stored it; e2e: tick publish → room message at a subscriber. Measured on the shared 2-core machine with",
    `other engineers' work running (noisy). Target: p99 ≤ interval + 10 ms = ${INTERVAL + 10} ms. Load average: ${loadavg().map((x) => x.toFixed(1)).join(" ")}.`,
    "",
    table(
      ["coalescers", "ticks/s target → achieved", "ticks/msg", "symbols", "CPU ms / 1,000 ticks per coalescer", "max of one", "all", "received", "p50 ms", "p99 ms", "p99 to PubAck ms", "e2e p99 ms", "publish errors"],
      rows,
    ),
  ].join("\n");
  console.log(md);
  writeBenchSection("rooms", "Rooms: coalescer", md);
  const one = figures.c1_cpu_ms_per_1k_ticks_per_coalescer;
  const falls = counts.length < 2 || counts.slice(1).every((n, i) => (figures[`c${n}_cpu_ms_per_1k_ticks_per_coalescer`] ?? Infinity) < (figures[`c${counts[i]}_cpu_ms_per_1k_ticks_per_coalescer`] ?? 0));
  const p99ok = counts.every((n) => (figures[`c${n}_p99_to_puback_ms`] ?? Infinity) <= INTERVAL + 10);
  void one;
  reportResult({
    name: "rooms",
    figures: { ...figures, per_coalescer_cpu_falls: falls ? 1 : 0 },
    targets: { p99_to_puback_ms: `≤ ${INTERVAL + 10}`, per_coalescer_cpu_falls: "yes" },
    met: { p99_to_puback_ms: p99ok, per_coalescer_cpu_falls: falls },
  });
}

// `--child <nats-url>`: this process is the coalescer child started by startChild().
const childUrl = benchArgs({ strings: ["child"] }).get("child");
if (childUrl !== undefined) {
  await child(childUrl);
  process.exit(0); // (writes the CPU profile, if asked for)
}
else await main();
