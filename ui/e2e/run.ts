/**
 * Runs the browser end-to-end tests: builds ui/dist (skip with --no-build), then
 * vitest with ui/vitest.e2e.config.ts (real headless Chromium + the real edge).
 * Extra arguments go to vitest (e.g. a file filter). Exit code is vitest's.
 *
 *   npx tsx ui/e2e/run.ts [--no-build] [vitest args…]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM } from "./browser.ts";

const root = join(import.meta.dirname, "..", "..");
const args = process.argv.slice(2);
const noBuild = args.includes("--no-build");
const rest = args.filter((a) => a !== "--no-build");

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  process.exit(2);
}
const run = (cmd: string, argv: string[]) => spawnSync(cmd, argv, { cwd: root, stdio: "inherit" }).status ?? 1;

if (!noBuild || !existsSync(join(root, "ui", "dist", "index.html"))) {
  const code = run("npx", ["vite", "build", "--config", "ui/vite.config.ts", "--logLevel", "warn"]);
  if (code !== 0) process.exit(code);
}
process.exit(run("npx", ["vitest", "run", "--config", "ui/vitest.e2e.config.ts", ...rest]));
