/**
 * The whole benchmark suite (`npm run bench`), one step after the other, each as a child
 * process with a time limit; a step that fails or times out is reported and the suite
 * goes on. Every step writes its own section of BENCHMARKS.md (ops/bench/report.ts:
 * machine, date, commit); this script adds a "suite" section on top with what ran,
 * how it ended, and which budgets and targets were met.
 *
 *   npm run bench                                   # full size: run on a quiet machine
 *   npm run bench -- --quick                        # a few seconds per step, smoke check
 *   npm run bench -- --only edge,side-by-side --clients 1000,10000,50000
 *
 * Steps (--only takes these names):
 *   edge          edge fan-out at --clients (edge/bench.ts; p50/p99/p99.9, msg/s, CPU µs/msg, RSS/conn)
 *   side-by-side  edge vs bare uWS vs Socket.IO at --side-clients (ops/bench/side-by-side.ts)
 *   load          load/fanout.js through the k6 runner at 50,000 dashboards (load/bench.ts)
 *   ingest rooms archive ui sim   the component benchmarks (npm run bench:<name>), skipped
 *                 with a note when their script does not exist
 *
 * Flags: --quick, --only LIST, --clients LIST (default 1000,10000,50000; quick 200),
 * --side-clients LIST (default 1000,5000; quick 200), --out FILE (default BENCHMARKS.md,
 * or $BENCHMARKS_FILE; with --quick .artifacts/bench/BENCHMARKS.quick.md so a smoke run
 * never overwrites real figures).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runStep, stopCurrent, type StepResult } from "./children.ts";
import { edgeBudgets, edgeStages, type Budget } from "./parse.ts";
import { table, writeBenchSection } from "./report.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MIN = 60_000;

const { values: a } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    clients: { type: "string" },
    "side-clients": { type: "string" },
    out: { type: "string" },
  },
});
const quick = a.quick === true;
const list = (s: string, what: string) => {
  const xs = s.split(",").map((x) => x.trim()).filter(Boolean);
  if (xs.length === 0 || xs.some((x) => !/^[1-9]\d*$/.test(x))) throw new RangeError(`${what} must be a comma list of positive integers, got ${JSON.stringify(s)}`);
  return xs.join(",");
};
const clients = list(a.clients ?? (quick ? "200" : "1000,10000,50000"), "--clients");
const sideClients = list(a["side-clients"] ?? (quick ? "200" : "1000,5000"), "--side-clients");
const out = resolve(a.out ?? process.env.BENCHMARKS_FILE ?? (quick ? join(ROOT, ".artifacts", "bench", "BENCHMARKS.quick.md") : join(ROOT, "BENCHMARKS.md")));
process.env.BENCHMARKS_FILE = out; // for writeBenchSection here and for every child

interface Step {
  name: string;
  npm: string;
  script: string;
  args: string[];
  env?: Record<string, string>;
  timeoutMs: number;
}

const STEPS: Step[] = [
  {
    name: "edge", npm: "bench:edge", script: "edge/bench.ts",
    args: quick ? ["--clients", clients, "--duration", "3", "--warmup", "1", "--edge-workers", "1", "--rooms", "50", "--probes", "20"]
      // The light dashboard profile (see edge/README.md): the full one at 50,000 clients is
      // ~1.6 M msg/s, beyond two cores shared by the edge and its load generator.
      : ["--clients", clients, "--hz", "1", "--tickers", "2-4"],
    timeoutMs: quick ? 2 * MIN : 25 * MIN,
  },
  {
    name: "side-by-side", npm: "bench (side-by-side)", script: "ops/bench/side-by-side.ts",
    args: ["--clients", sideClients, ...(quick ? ["--duration", "3", "--quick"] : [])],
    timeoutMs: quick ? 3 * MIN : 20 * MIN,
  },
  {
    name: "load", npm: "bench:load", script: "load/bench.ts",
    args: quick ? ["--sockets", "300", "--ramp", "3s", "--hold", "10s", "--probes", "20"] : [],
    timeoutMs: quick ? 2 * MIN : 10 * MIN,
  },
  {
    name: "ingest", npm: "bench:ingest", script: "actors/ingest/bench.ts",
    args: quick ? ["--seconds", "3", "--rate", "5000", "--symbols", "20"] : [],
    timeoutMs: quick ? 2 * MIN : 10 * MIN,
  },
  {
    name: "rooms", npm: "bench:rooms", script: "actors/coalescer/bench.ts",
    args: [], env: quick ? { BENCH_RATE: "5000", BENCH_SECONDS: "3" } : {},
    timeoutMs: quick ? 2 * MIN : 10 * MIN,
  },
  {
    name: "archive", npm: "bench:archive", script: "actors/archiver/bench.ts",
    args: quick ? ["--quick"] : [], timeoutMs: quick ? 2 * MIN : 20 * MIN,
  },
  {
    name: "ui", npm: "bench:ui", script: "ui/bench.ts",
    args: quick ? ["--seconds", "5", "--symbols", "100"] : [], timeoutMs: quick ? 4 * MIN : 25 * MIN,
  },
  {
    name: "sim", npm: "bench:sim", script: "ops/simulator/bench.ts",
    args: ["--write", ...(quick ? ["--rate", "5000", "--seconds", "3"] : [])], timeoutMs: quick ? 2 * MIN : 5 * MIN,
  },
];

const only = a.only?.split(",").map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((n) => !STEPS.some((s) => s.name === n)) ?? [];
if (unknown.length) {
  console.error(`--only: unknown step(s) ${unknown.join(", ")}; steps are ${STEPS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}
const steps = STEPS.filter((s) => !only || only.includes(s.name));

type Outcome = { step: Step; result?: StepResult; skipped?: string };
const outcomes: Outcome[] = steps.map((step) => ({ step }));
const started = new Date();

function command(s: Step): string {
  const env = Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  return `\`${env}npx tsx ${s.script}${s.args.length ? " " + s.args.join(" ") : ""}\``;
}

function statusText(o: Outcome): string {
  if (o.skipped) return `skipped: ${o.skipped}`;
  const r = o.result;
  if (!r) return "not run yet";
  if (r.status === "ok") return "✅ ok";
  if (r.status === "timeout") return `❌ timed out (limit ${Math.round(o.step.timeoutMs / 1000)} s)`;
  if (r.status === "error") return `❌ could not start`;
  return `❌ failed (exit ${r.code ?? r.signal})`;
}

function budgets(): Budget[] {
  const res: Budget[] = [];
  const edge = outcomes.find((o) => o.step.name === "edge")?.result;
  if (edge?.status === "ok") res.push(...edgeBudgets(edgeStages(edge.stdout)));
  const side = outcomes.find((o) => o.step.name === "side-by-side")?.result;
  const line = side?.stdout.split("\n").find((l) => l.startsWith("SIDE_BY_SIDE_RESULT "));
  if (line) {
    const stages = JSON.parse(line.slice("SIDE_BY_SIDE_RESULT ".length)) as Array<{ clients: number; verdicts: Array<{ what: string; ratio?: number; target: string; met?: boolean; atLeast?: boolean }> }>;
    for (const s of stages) {
      for (const v of s.verdicts) {
        res.push({ what: `${v.what} (${s.clients} clients)`, value: v.ratio === undefined || v.ratio === null ? "n/a" : `${v.atLeast ? "≥ " : ""}${v.ratio.toFixed(2)}×`, wanted: v.target, met: v.met ?? undefined });
      }
    }
  }
  return res;
}

function suiteMarkdown(done: boolean): string {
  const md: string[] = [];
  if (quick) md.push("**Quick smoke run (`--quick`): every step at a tiny size for a few seconds. The figures below prove the scripts work; they are not the project's numbers.**", "");
  md.push(
    `\`npm run bench${process.argv.slice(2).length ? " -- " + process.argv.slice(2).join(" ") : ""}\` started ${started.toISOString().slice(0, 16).replace("T", " ")} UTC` +
      (done ? `, took ${Math.round((Date.now() - started.getTime()) / 1000)} s.` : " — **still running** (or interrupted)."),
    "",
    table(["step", "command", "result", "time s"], outcomes.map((o) => [o.step.name, command(o.step), statusText(o), o.result ? o.result.seconds.toFixed(0) : ""])),
    "",
    "Each step writes its own section below; a step that failed or was skipped leaves its section as it was (look at its date).",
  );
  const b = budgets();
  if (b.length) {
    const missed = b.filter((x) => x.met === false).length;
    md.push("", `### Budgets and targets (${b.length - missed} of ${b.length} met)`, "", table(["what", "measured", "wanted", "verdict"], b.map((x) => [x.what, x.value, x.wanted, x.met === undefined ? "❔" : x.met ? "✅ met" : "❌ missed"])));
  }
  const failures = outcomes.filter((o) => o.result && o.result.status !== "ok");
  for (const o of failures) {
    md.push("", `**${o.step.name} ${statusText(o).replace(/^❌ /, "")}** — last output:`, "", "```", ...o.result!.tail.map((l) => l.slice(0, 200)), "```");
  }
  return md.join("\n");
}

const writeSuite = (done: boolean) => writeBenchSection("suite", quick ? "Benchmark suite (quick smoke run)" : "Benchmark suite", suiteMarkdown(done));

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping the running step`);
    void stopCurrent().finally(() => {
      writeSuite(false);
      process.exit(130);
    });
  });
}

console.log(`benchmark suite${quick ? " (quick)" : ""}: ${steps.map((s) => s.name).join(", ")} → ${out}`);
writeSuite(false); // puts the suite section first in a new file
for (const o of outcomes) {
  if (interrupted) break;
  if (!existsSync(join(ROOT, o.step.script))) {
    o.skipped = `${o.step.script} does not exist (yet)`;
    console.log(`\n=== ${o.step.name}: skipped, ${o.skipped}`);
    writeSuite(false);
    continue;
  }
  console.log(`\n=== ${o.step.name}: ${command(o.step).replaceAll("`", "")}`);
  o.result = await runStep({ script: o.step.script, args: o.step.args, env: o.step.env, timeoutMs: o.step.timeoutMs });
  console.log(`=== ${o.step.name}: ${statusText(o)} after ${o.result.seconds.toFixed(0)} s`);
  if (!interrupted) writeSuite(false);
}
if (!interrupted) {
  writeSuite(true);
  console.log(`\n${outcomes.map((o) => `${o.step.name}: ${statusText(o)}`).join("\n")}\n\nresults in ${out}`);
  process.exit(outcomes.some((o) => o.result && o.result.status !== "ok") ? 1 : 0);
}
