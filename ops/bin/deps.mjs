// Shared by `npm start` and `npm test` (plain JavaScript: runs before dependencies
// exist): installs the locked dependencies when some are missing. `npm ci` on a fresh
// clone (exactly the lock, no rewrite); when node_modules is a symlink (a worktree
// sharing another checkout's install) nothing is installed here, since `npm ci` would
// empty the shared folder: the missing packages are named instead.
import { execSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Direct dependencies of package.json with no installed package.json. */
export function missingPackages(root) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  return names.filter((n) => !existsSync(join(root, "node_modules", n, "package.json")));
}

/** Node lines the project supports (package.json "engines"); Node 20 reached end of life in April 2026. */
export const SUPPORTED_NODE = [22, 24, 26];

export function warnUnsupportedNode() {
  const major = Number(process.versions.node.split(".")[0]);
  if (SUPPORTED_NODE.includes(major)) return;
  console.warn(
    `Node ${process.version} is not a supported line (${SUPPORTED_NODE.join(", ")}); it may work` +
      (major === 20 ? " (Node 20 is past end of life: npm warns EBADENGINE for packages that need 22+)" : "") + ".",
  );
}

export function ensureInstalled(root) {
  const nm = join(root, "node_modules");
  const missing = existsSync(nm) ? missingPackages(root) : ["(node_modules)"];
  if (missing.length === 0) return;
  if (existsSync(nm) && lstatSync(nm).isSymbolicLink()) {
    console.error(`node_modules is a shared symlink; missing ${missing.join(", ")}: install them where it points to.`);
    return;
  }
  console.log(`installing dependencies (npm ci; missing ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""})…`);
  execSync("npm ci --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}
