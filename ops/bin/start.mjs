#!/usr/bin/env node
// `npm start`: install what is missing, build the dashboard if needed, then run the
// local stack (`tickflow up`). Plain JavaScript so it runs before dependencies exist.
import { execSync, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = (cmd) => execSync(cmd, { cwd: root, stdio: "inherit" });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Tickflow needs Node 20.19 or newer; this is ${process.version}.`);
  process.exit(1);
}
if (mtime(join(root, "node_modules", ".package-lock.json")) < mtime(join(root, "package-lock.json"))) {
  console.log("installing dependencies (npm install)…");
  run("npm install --no-audit --no-fund");
}
if (existsSync(join(root, "ui", "vite.config.ts")) && !existsSync(join(root, "ui", "dist", "index.html"))) {
  console.log("building the dashboard…");
  run("npm run build:ui --silent");
}
const child = spawn(process.execPath, ["--import", "tsx", join(root, "ops", "main.ts"), "up", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
