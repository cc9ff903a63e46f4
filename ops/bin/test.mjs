#!/usr/bin/env node
// `npm test`: everything, on a fresh clone. Installs what is missing (the locked npm
// packages, the Node 24 and 26 builds of ops/runtimes, Debian's chromium for the
// browser tests), then runs the type checks, the vitest suites (unit + integration
// against real nats-server, DuckDB, S3, sockets) on this Node and again on Node 24 and
// 26, the Deno suite and the browser end-to-end tests. Counting (ops/bin/runner.mjs):
// each suite's own fresh report, skipped/todo/pending printed, tests behind a failed
// setup counted as failed. Last line "N passed, N failed, N skipped"; exit 0 only if
// nothing failed and something passed.
//
//   npm test                     # all
//   npm test -- unit-and-integration e2e     # only these suites (names as printed)
//   TICKFLOW_NODE_LINES=26 npm test           # other Node lines to run on (default 24,26; "" = none)
//   TICKFLOW_TEST_PLAN=plan.json npm test     # only the vitest suites listed there (the runner's own test)
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInstalled } from "./deps.mjs";
import { runCheck, runDeno, runVitest, Tally } from "./runner.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const only = process.argv.slice(2);
const out = process.env.TICKFLOW_TEST_OUT ?? join(root, ".artifacts", "test");
mkdirSync(out, { recursive: true });
const tally = new Tally();
const wanted = (name) => !only.length || only.includes(name);
const has = (p) => existsSync(join(root, p));
const bin = (name) => join(root, "node_modules", ".bin", name);

function finish() {
  console.log(`\n${tally.summary()}`);
  process.exit(tally.ok ? 0 : 1);
}

if (process.env.TICKFLOW_TEST_PLAN) {
  // [{name, dir, config}] — vitest suites only, for ops/bin/runner.test.ts.
  for (const s of JSON.parse(readFileSync(process.env.TICKFLOW_TEST_PLAN, "utf8"))) {
    console.log(`\n=== ${s.name}`);
    runVitest(tally, { name: s.name, root, dir: s.dir, out, config: s.config, args: s.args ?? [] });
  }
  finish();
}

ensureInstalled(root);

/**
 * Other Node lines run the tests of what depends on the runtime: the edge (uWS choice
 * by ABI, the ws fallback, node:http, cluster workers), the load runner and real-stack
 * tests over real sockets, DuckDB's native binding and Parquet (archiver core, lake),
 * the actor runtime and bus, Deno interop, and this runner. The whole suite on each
 * line would not fit `npm test`'s 20-minute budget (README "Development" has the
 * measured times); TICKFLOW_NODE_SCOPE=all runs all of it anyway. Edges fall back to
 * the ws transport where no native uWS loads, as `npm start` does.
 */
const LINES = (process.env.TICKFLOW_NODE_LINES ?? "24,26").split(",").map((s) => s.trim()).filter(Boolean);
const RUNTIME_SCOPE = [
  // load/test/: only the real-stack run (hosts, edge and load runner as processes on that
  // line). The loss, fanout-soak and recovery cases (~110 s) drive the same runner and edge
  // code that load/runner/ and edge/ exercise there; their subject is the k6 accounting.
  "edge/", "load/test/real-stack.test.ts", "load/runner/", "actors/archiver/archiver", "ops/lake/", "actors/runtime/", "lib/", "test/deno/", "ops/bin/",
];
const scope = process.env.TICKFLOW_NODE_SCOPE === "all" ? [] : RUNTIME_SCOPE;

/** The Node binary of line `n` from ops/runtimes (installed there on first use; never globally). */
function runtime(n) {
  const node = join(root, "ops", "runtimes", "node_modules", `node-${n}`, "bin", "node");
  if (!existsSync(node)) {
    console.log(`installing Node ${n} into ops/runtimes (npm ci)…`);
    try {
      execSync("npm ci --no-bin-links --no-audit --no-fund", { cwd: join(root, "ops", "runtimes"), stdio: "inherit" });
    } catch {
      /* reported below */
    }
  }
  return existsSync(node) ? node : undefined;
}

function ensureChromium() {
  if (existsSync("/usr/bin/chromium")) return true;
  if (process.getuid?.() !== 0) return false;
  console.log("installing Debian's chromium for the browser tests…");
  try {
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "inherit" });
  } catch {
    return false;
  }
  return existsSync("/usr/bin/chromium");
}

if (wanted("typecheck")) {
  // One root tsconfig covers every file: actors, edge, ui, load (k6 scripts too), lib, sim, bench, test.
  console.log("\n=== typecheck");
  runCheck(tally, "typecheck", bin("tsc"), ["-p", "tsconfig.json"], { root });
}
if (wanted("deps")) {
  // The layout rule (README "Layout"), checked by dependency-cruiser.
  console.log("\n=== deps");
  runCheck(tally, "deps", "npm", ["run", "--silent", "check:deps"], { root });
}
if (wanted("unit-and-integration")) {
  console.log(`\n=== unit-and-integration (Node ${process.versions.node})`);
  runVitest(tally, { name: "unit-and-integration", root, out });
}
for (const n of LINES) {
  const name = `unit-and-integration-node${n}`;
  if (!wanted(name)) continue;
  const node = runtime(n);
  console.log(`\n=== ${name}`);
  if (!node) {
    tally.add(name, { passed: 0, failed: 1 }, "0", [`FAILED: Node ${n} could not be installed into ops/runtimes`]);
    continue;
  }
  runVitest(tally, { name, root, out, node, env: { EDGE_ALLOW_UWS_FALLBACK: "true" }, args: scope });
}
if (has("ui/vitest.config.ts") && wanted("ui-unit")) {
  console.log("\n=== ui-unit");
  runVitest(tally, { name: "ui-unit", root, out, config: "ui/vitest.config.ts" });
}
if (has("deno.json") && wanted("deno")) {
  console.log("\n=== deno");
  runDeno(tally, "deno", { root, deno: bin("deno") });
}
if (has("ui/vitest.e2e.config.ts") && wanted("e2e")) {
  if (!ensureChromium()) {
    tally.add("e2e", { passed: 0, failed: 1 }, "0", ["FAILED: chromium is missing and could not be installed"]);
  } else {
    if (!has("ui/dist/index.html") || process.env.CI) {
      console.log("\n=== build-ui");
      runCheck(tally, "build-ui", "npm", ["run", "build:ui", "--silent"], { root });
    }
    console.log("\n=== e2e");
    runVitest(tally, { name: "e2e", root, out, config: "ui/vitest.e2e.config.ts" });
  }
}
finish();
