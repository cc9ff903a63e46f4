#!/usr/bin/env node
// `npm start`: install what is missing, build the dashboard if needed, then run the
// local stack (`tickflow up`). Plain JavaScript so it runs before dependencies exist.
import { execSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = (cmd) => execSync(cmd, { cwd: root, stdio: "inherit" });

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Tickflow needs Node 22, 24 or 26 (20.19+ still runs); this is ${process.version}.`);
  process.exit(1);
}
const { ensureInstalled, warnUnsupportedNode } = await import("./deps.mjs");
warnUnsupportedNode();
ensureInstalled(root);
if (existsSync(join(root, "ui", "vite.config.ts")) && !existsSync(join(root, "ui", "dist", "index.html"))) {
  console.log("building the dashboard…");
  run("npm run build:ui --silent");
}
const child = spawn(process.execPath, ["--import", "tsx", join(root, "ops", "main.ts"), "up", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  // The local stack serves through the ws transport where no native uWS loads (one
  // warning says why and what it costs); production `tickflow edge` still refuses.
  env: { EDGE_ALLOW_UWS_FALLBACK: "true", ...process.env },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
