/**
 * The whole benchmark suite (`npm run bench`), one step after the other, each as a child
 * process with a time limit; a step that fails or times out is reported and the suite
 * goes on. Every step writes its own section of BENCHMARKS.md (bench/report.ts:
 * machine, date, commit, "dirty" when the tree had changes) and ends with one
 * `RESULT {json}` line; this script adds a "suite" section on top with what ran, how it
 * ended, and every step's targets from its RESULT line, counted as met, missed and
 * not measured (a target with no figure is not measured, never met).
 *
 *   npm run bench                                   # full size: run on a quiet machine
 *   npm run bench -- --quick                        # a few seconds per step, smoke check
 *   npm run bench -- --only edge,side-by-side --clients 1000,10000,50000
 *
 * Steps (--only takes these names):
 *   edge          edge fan-out at --clients (bench/edge/main.ts; p50/p99/p99.9, msg/s, CPU µs/msg, RSS/conn)
 *   side-by-side  edge vs bare uWS vs Socket.IO at --side-clients (bench/side-by-side.ts)
 *   load          load/fanout.js through the k6 runner at 50,000 dashboards (bench/load.ts)
 *   transport     the edge on native uWS vs the ws fallback, CPU per message (bench/transport.ts)
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
import { countTargets, gitStamp, parseResult, table, type BenchResult, writeBenchSection } from "./report.ts";

const ROOT = join(import.meta.dirname, "..");
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
    name: "edge", npm: "bench:edge", script: "bench/edge/main.ts",
    args: quick ? ["--clients", clients, "--duration", "3", "--warmup", "1", "--edge-workers", "1", "--rooms", "50", "--probes", "20"]
      // The light dashboard profile (see edge/README.md): the full one at 50,000 clients is
      // ~1.6 M msg/s, beyond two cores shared by the edge and its load generator.
      : ["--clients", clients, "--hz", "1", "--tickers", "2-4"],
    timeoutMs: quick ? 2 * MIN : 25 * MIN,
  },
  {
    name: "side-by-side", npm: "bench (side-by-side)", script: "bench/side-by-side.ts",
    args: ["--clients", sideClients, ...(quick ? ["--duration", "3", "--quick"] : [])],
    timeoutMs: quick ? 3 * MIN : 20 * MIN,
  },
  {
    name: "load", npm: "bench:load", script: "bench/load.ts",
    args: quick ? ["--sockets", "300", "--ramp", "3s", "--hold", "10s", "--probes", "20"] : [],
    timeoutMs: quick ? 2 * MIN : 10 * MIN,
  },
  {
    name: "ingest", npm: "bench:ingest", script: "bench/ingest.ts",
    args: quick ? ["--seconds", "3", "--rate", "5000", "--symbols", "20"] : [],
    timeoutMs: quick ? 2 * MIN : 10 * MIN,
  },
  {
    name: "rooms", npm: "bench:rooms", script: "bench/rooms.ts",
    args: [], env: quick ? { BENCH_RATE: "5000", BENCH_SECONDS: "3" } : {},
    timeoutMs: quick ? 2 * MIN : 10 * MIN,
  },
  {
    name: "archive", npm: "bench:archive", script: "bench/archive.ts",
    args: quick ? ["--quick"] : [], timeoutMs: quick ? 2 * MIN : 20 * MIN,
  },
  {
    name: "ui", npm: "bench:ui", script: "bench/ui.ts",
    args: quick ? ["--seconds", "5", "--symbols", "100"] : [], timeoutMs: quick ? 4 * MIN : 25 * MIN,
  },
  {
    name: "transport", npm: "bench:transport", script: "bench/transport.ts",
    args: quick ? ["--clients", "200", "--duration", "3"] : [], timeoutMs: quick ? 3 * MIN : 10 * MIN,
  },
  {
    name: "sim", npm: "bench:sim", script: "bench/sim.ts",
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
  if (r.status === "ok") return parseResult(r.stdout) ? "✅ ok" : "⚠️ ok, but no RESULT line";
  if (r.status === "timeout") return `❌ timed out (limit ${Math.round(o.step.timeoutMs / 1000)} s)`;
  if (r.status === "error") return `❌ could not start`;
  return `❌ failed (exit ${r.code ?? r.signal})`;
}

/** Every finished step's RESULT line (undefined: it printed none). */
function results(): Array<{ step: string; r?: BenchResult }> {
  return outcomes.filter((o) => o.result).map((o) => ({ step: o.step.name, r: parseResult(o.result!.stdout) }));
}

const figure = (x: unknown) => (x === null || x === undefined ? "n/a" : typeof x === "number" ? String(Math.round(x * 100) / 100) : String(x));

/** The targets table and its heading: met, missed and not measured counted apart. */
function targetsMarkdown(): string[] {
  const rs = results();
  if (rs.length === 0) return [];
  const rows: string[][] = [];
  for (const { step, r } of rs) {
    if (!r) {
      rows.push([step, "—", "no RESULT line", "", "❔ not measured", ""]);
      continue;
    }
    const stamp = `${r.commit}${r.dirty ? " (dirty)" : ""}`;
    for (const [k, wanted] of Object.entries(r.targets)) {
      const met = r.met[k] ?? null;
      rows.push([step, k, figure(r.figures[k]), wanted, met === null ? "❔ not measured" : met ? "✅ met" : "❌ missed", stamp]);
    }
  }
  const c = countTargets(rs.flatMap((x) => (x.r ? [x.r] : [])));
  const silent = rs.filter((x) => !x.r).map((x) => x.step);
  const heading = `### Targets: ${c.met} met, ${c.missed} missed, ${c.unmeasured} not measured` + (silent.length ? `; no RESULT line from ${silent.join(", ")}` : "");
  return ["", heading, "", table(["step", "target", "measured", "wanted", "verdict", "commit"], rows)];
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
  md.push(...targetsMarkdown());
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

const tree = gitStamp();
console.log(`benchmark suite${quick ? " (quick)" : ""}: ${steps.map((s) => s.name).join(", ")} → ${out}${tree.dirty ? ` (tree is dirty: figures are stamped ${tree.commit} (dirty))` : ""}`);
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
