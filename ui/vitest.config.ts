/**
 * Unit tests of the dashboard, in Node (no jsdom needed):
 *  - "logic": the DOM-free stores, formatters, throttling and reconnect policy in src/.
 *    Solid is resolved to its browser build so reactive primitives and
 *    @solid-primitives/scheduled behave as in the page (the server build makes them no-ops).
 *  - "tools": the fake edge in test/, with Node's own resolution (the `ws` server).
 */
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;
const cacheDir = `${root}/../node_modules/.vite/ui`;

export default defineConfig({
  root,
  cacheDir,
  test: {
    testTimeout: 30_000,
    projects: [
      {
        root,
        cacheDir,
        resolve: { conditions: ["browser", "development"] },
        ssr: { resolve: { conditions: ["browser", "development"], externalConditions: ["browser", "development"] } },
        test: {
          name: "logic",
          include: ["src/**/*.test.ts"],
          environment: "node",
          // Files share a worker (17 s → 6 s): the stores create and dispose their own roots.
          isolate: false,
          server: { deps: { inline: [/solid-js/, /@solid-primitives/] } },
        },
      },
      {
        root,
        cacheDir,
        test: { name: "tools", include: ["test/**/*.test.ts"], environment: "node", isolate: false },
      },
    ],
  },
});
