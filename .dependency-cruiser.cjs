/**
 * The dependency rule of the layout (README "Layout"), checked by dependency-cruiser in
 * `npm run check:deps` (part of `npm test`):
 *
 *   lib/ imports nothing of the product; lib/contracts imports zod only (no I/O) and is
 *   the one part ui/src may import; actors/ and edge/ code does not import the other; bench/
 *   and test/ are imported only by bench/, test/ and test code; no import cycles; an
 *   import into a folder with a mod.ts goes through the mod.ts, except as listed in
 *   DEEP_IMPORT_EXCEPTIONS below (each with its reason).
 *
 * test/layout/dependency-rule.test.ts plants a violation of each rule in a copy of the
 * tree and shows this check fails on it.
 */
const { existsSync, readdirSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = __dirname;
const PRODUCT = "^(actors|edge|ui|ops|load|sim|bench|test)/";

/** Test code: test files, test-support modules and test folders. It may import anything. */
const TEST_CODE = ["\\.(test|e2e)\\.tsx?$", "(^|/)(test|e2e)/", "(^|/)(testing|testkit|fixtures)\\.ts$"];

/**
 * Folders with a mod.ts: outside importers use the mod.ts. Found on disk, so new ones count too.
 * @param {string} dir
 * @param {string[]} out
 * @returns {string[]}
 */
function modFolders(dir = "", out = []) {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith(".") || ["node_modules", "data", "dist"].includes(e.name)) continue;
    const sub = dir ? `${dir}/${e.name}` : e.name;
    if (existsSync(join(ROOT, sub, "mod.ts"))) out.push(sub);
    modFolders(sub, out);
  }
  return out;
}

/** @param {string} s */
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Imports past a folder's mod.ts that are allowed, and why. `from`/`to` are path regexes.
 * Test code (TEST_CODE), bench/ and test/ are allowed everywhere: they exercise or
 * measure the parts themselves, so they reach past the front door on purpose.
 */
const DEEP_IMPORT_EXCEPTIONS = [
  {
    from: "^ops/config-catalog\\.ts$",
    to: "/(config|settings)\\.ts$",
    why: "the settings catalog lists every folder's settings shape; importing the mod.ts would load the actors themselves",
  },
  {
    from: "^ops/lake/",
    to: "^actors/archiver/(config|service)\\.ts$",
    why: "the lake CLI opens the lake from the archiver's own settings and target factory (targetFor), so it reads exactly what the archiver writes",
  },
  {
    from: "^actors/ranker/",
    to: "^actors/coalescer/(ticker|fast-decode|jetstream-read)\\.ts$",
    why: "the ranker reads the same streams as the coalescer and computes change and degraded venues the same way; it shares those helpers instead of copying them",
  },
  {
    from: "^ops/cli/commands\\.ts$",
    to: "^ops/lake/help\\.ts$",
    why: "the CLI prints the lake and replay help without loading the lake code (DuckDB); the commands themselves load ops/lake/mod.ts when they run",
  },
];

/**
 * One rule per folder with a mod.ts. dependency-cruiser has no per-edge allow list, so
 * an exception (from A to B) splits the rule: importers outside every exception's `from`
 * get the plain rule; importers matching A get it minus the targets B.
 */
function deepRules() {
  const rules = [];
  for (const dir of modFolders()) {
    const inside = `^${esc(dir)}/`;
    const base = {
      comment: `import ${dir}/ through ${dir}/mod.ts (or add a reasoned entry to DEEP_IMPORT_EXCEPTIONS in .dependency-cruiser.cjs)`,
      severity: "error",
    };
    const to = { path: `${inside}(?!mod\\.ts$)` };
    const exempt = ["^(bench|test)/", ...TEST_CODE, inside];
    const ex = DEEP_IMPORT_EXCEPTIONS; // an exception whose `to` is elsewhere changes nothing here
    rules.push({ name: `through-mod:${dir}`, ...base, from: { pathNot: [...exempt, ...ex.map((e) => e.from)] }, to });
    for (const e of ex) {
      rules.push({ name: `through-mod:${dir}`, ...base, from: { path: e.from, pathNot: exempt }, to: { ...to, pathNot: e.to } });
    }
  }
  return rules;
}

module.exports = {
  forbidden: [
    {
      name: "lib-imports-no-product",
      comment: "lib/ is below the product: it may import lib/ and npm packages only",
      severity: "error",
      from: { path: "^lib/", pathNot: TEST_CODE },
      to: { path: PRODUCT },
    },
    {
      name: "lib-tests-no-product",
      comment: "lib/'s own tests use the test/ harnesses, and nothing else of the product",
      severity: "error",
      from: { path: ["^lib/.+[.](test|e2e)[.]tsx?$", "^lib/.*/(testing|testkit|fixtures)[.]ts$"] },
      to: { path: PRODUCT, pathNot: "^test/" },
    },
    {
      name: "contracts-zod-only",
      comment: "lib/contracts is the wire contract: zod and itself only, no I/O (ui/ bundles it)",
      severity: "error",
      from: { path: "^lib/contracts/" },
      to: { pathNot: ["^lib/contracts/", "(^|/)node_modules/zod/"] },
    },
    {
      name: "ui-src-contracts-only",
      comment: "the dashboard (ui/src) runs in the browser: of the repo it imports lib/contracts only",
      severity: "error",
      from: { path: "^ui/src/" },
      to: { path: "^(actors|edge|ops|load|sim|bench|test|lib/(?!contracts/))" },
    },
    {
      name: "actors-not-edge",
      comment: "actors/ and edge/ meet through lib/ (contracts over NATS), never by import (their tests may start both)",
      severity: "error",
      from: { path: "^actors/", pathNot: TEST_CODE },
      to: { path: "^edge/" },
    },
    {
      name: "edge-not-actors",
      comment: "actors/ and edge/ meet through lib/ (contracts over NATS), never by import (their tests may start both)",
      severity: "error",
      from: { path: "^edge/", pathNot: TEST_CODE },
      to: { path: "^actors/" },
    },
    {
      name: "ops-on-top",
      comment: "ops/ (the operator's tools) sits on top: the processes it runs and lib/ do not import it",
      severity: "error",
      from: { path: "^(actors|edge|sim|ui|lib)/", pathNot: TEST_CODE },
      to: { path: "^ops/" },
    },
    {
      name: "sim-stands-alone",
      comment: "the simulator behaves like the venues, not like our code: of the repo it imports lib/ only",
      severity: "error",
      from: { path: "^sim/", pathNot: TEST_CODE },
      to: { path: "^(actors|edge|ui|ops|load)/" },
    },
    {
      name: "bench-test-stay-out",
      comment: "bench/ and test/ are imported only by bench/, test/ and test code",
      severity: "error",
      from: { pathNot: ["^(bench|test)/", ...TEST_CODE] },
      to: { path: "^(bench|test)/" },
    },
    {
      name: "no-circular",
      comment: "no import cycles (type-only imports included)",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable-relative",
      comment: "a relative import that resolves to no file",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, path: "^\\.\\.?/" },
    },
    ...deepRules(),
  ],
  allowed: [],
  options: {
    // No includeOnly: it would drop the npm and node: imports that contracts-zod-only
    // and no-unresolvable-relative look at. npm packages are leaves (not followed).
    exclude: { path: "(^|/)(dist|data|\\.artifacts)/" },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
  },
};

