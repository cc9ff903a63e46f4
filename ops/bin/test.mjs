#!/usr/bin/env node
// `npm test`: everything, on a fresh clone. Installs what is missing (npm packages,
// Debian's chromium for the browser tests), then runs the type checks, the vitest
// suites (unit + integration against real nats-server, DuckDB, S3, sockets), the Deno
// suite and the browser end-to-end tests, and ends with one line "N passed, N failed"
// summed from the runners' own reports. Exit code 0 only if everything passed.
import { execSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const only = process.argv.slice(2); // optional suite names
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const out = join(root, ".artifacts", "test");
mkdirSync(out, { recursive: true });

if (mtime(join(root, "node_modules", ".package-lock.json")) < mtime(join(root, "package-lock.json"))) {
  console.log("installing dependencies (npm install)…");
  execSync("npm install --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}

let passed = 0;
let failed = 0;
const results = [];
const bin = (name) => join(root, "node_modules", ".bin", name);

function sh(cmd, args, env = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, FORCE_COLOR: "0", ...env } });
  return { code: r.status ?? 1, secs: ((Date.now() - t0) / 1000).toFixed(0) };
}

/** A check that counts as one test (type checks). */
function check(name, cmd, args) {
  if (only.length && !only.includes(name)) return;
  console.log(`\n=== ${name}`);
  const { code, secs } = sh(cmd, args);
  code === 0 ? passed++ : failed++;
  results.push(`${name}: ${code === 0 ? "ok" : "FAILED"} (${secs}s)`);
}

/** A vitest suite; counts come from its JSON report. */
function vitest(name, config) {
  if (only.length && !only.includes(name)) return;
  if (config && !existsSync(join(root, config))) return;
  console.log(`\n=== ${name}`);
  const report = join(out, `${name}.json`);
  const args = ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`];
  if (config) args.push("--config", config);
  const { code, secs } = sh(bin("vitest"), args);
  let p = 0;
  let f = 0;
  try {
    const j = JSON.parse(readFileSync(report, "utf8"));
    p = j.numPassedTests;
    f = j.numFailedTests + (j.numRuntimeErrorTests ?? 0);
    if (code !== 0 && f === 0) f = 1; // e.g. a suite that failed to load
  } catch {
    f = 1;
  }
  passed += p;
  failed += f;
  results.push(`${name}: ${p} passed, ${f} failed (${secs}s)`);
}

/** The Deno suite; counts from Deno's "ok | N passed | N failed" line. */
function deno(name) {
  if (only.length && !only.includes(name)) return;
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  const chk = spawnSync(bin("deno"), ["task", "check"], { cwd: root, stdio: "inherit" });
  chk.status === 0 ? passed++ : failed++;
  const r = spawnSync(bin("deno"), ["task", "test"], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  const m = /(\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed/.exec((r.stdout ?? "") + (r.stderr ?? ""));
  const p = m ? Number(m[1]) : 0;
  const f = m ? Number(m[3]) : 1;
  passed += p;
  failed += r.status !== 0 && f === 0 ? 1 : f;
  results.push(`${name}: deno check ${chk.status === 0 ? "ok" : "FAILED"}, ${p} passed, ${f} failed (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
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

check("typecheck", bin("tsc"), ["-p", "tsconfig.json"]);
if (existsSync(join(root, "ui", "tsconfig.json"))) check("typecheck-ui", bin("tsc"), ["-p", "ui/tsconfig.json"]);
if (existsSync(join(root, "load", "tsconfig.json"))) check("typecheck-load", bin("tsc"), ["-p", "load/tsconfig.json"]);
if (existsSync(join(root, "load", "runner", "tsconfig.json"))) check("typecheck-load-runner", bin("tsc"), ["-p", "load/runner/tsconfig.json"]);
vitest("unit-and-integration");
vitest("ui-unit", "ui/vitest.config.ts");
deno("deno");
if (existsSync(join(root, "ui", "vitest.e2e.config.ts")) && (!only.length || only.includes("e2e"))) {
  if (!ensureChromium()) {
    console.error("chromium is missing and could not be installed: the browser tests count as failed");
    failed++;
  } else {
    if (!existsSync(join(root, "ui", "dist", "index.html")) || process.env.CI) {
      check("build-ui", "npm", ["run", "build:ui", "--silent"]);
    }
    vitest("e2e", "ui/vitest.e2e.config.ts");
  }
}

console.log(`\n${results.join("\n")}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
