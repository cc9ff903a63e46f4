import { defineConfig } from "vitest/config";

// Unit and integration tests of actors/, edge/, ops/ (Node). The UI has its own config
// (ui/vitest.config.ts); browser end-to-end tests run from ops/bin/test.mjs.
export default defineConfig({
  test: {
    include: ["actors/**/*.test.ts", "edge/**/*.test.ts", "ops/**/*.test.ts", "load/**/*.test.ts", "lib/**/*.test.ts", "sim/**/*.test.ts", "bench/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Test files share a worker process (module cache kept): every file starts and stops
    // its own servers, and none stubs globals or modules. Measured on the loaded 2-core
    // machine: 1,373 s → 1,140 s for the whole suite (module import 42 s → 10 s on a subset).
    isolate: false,
    reporters: ["default"],
  },
});
