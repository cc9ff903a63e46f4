/**
 * Vite build of the dashboard: root ui/, output ui/dist, plus a precompressed `.gz`
 * next to every text asset so the edge can serve it without compressing per request.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, constants } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import solid from "vite-plugin-solid";

const root = import.meta.dirname;
const outDir = join(root, "dist");

/** Writes `<file>.gz` (level 9) for every html/js/css/svg/json file in outDir once the bundle is closed. */
function precompress(dir: string): Plugin {
  return {
    name: "tickflow-precompress",
    apply: "build",
    closeBundle() {
      const walk = (d: string): string[] =>
        readdirSync(d).flatMap((name) => {
          const p = join(d, name);
          return statSync(p).isDirectory() ? walk(p) : [p];
        });
      for (const file of walk(dir)) {
        if (!/\.(html|js|css|svg|json|txt)$/.test(file)) continue;
        const gz = gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION });
        writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

export default defineConfig({
  root,
  base: "./",
  // Keep Vite's cache in the repo's node_modules instead of creating ui/node_modules.
  cacheDir: join(root, "..", "node_modules", ".vite", "ui"),
  plugins: [solid(), precompress(outDir)],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
});
