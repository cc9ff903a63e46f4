/**
 * Browser end-to-end tests: real headless Chromium (playwright-core) against the built
 * ui/dist served by the real edge on a private nats-server (ui/e2e/stack.ts). Run through
 * ui/e2e/run.ts, which builds first.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: import.meta.dirname,
  cacheDir: `${import.meta.dirname}/../node_modules/.vite/ui`,
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
