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
    reporters: ["default"],
  },
});
