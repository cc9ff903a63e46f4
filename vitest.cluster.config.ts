import { defineConfig } from "vitest/config";

// `npm run test:cluster`: the 3-node JetStream cluster chaos test (test/chaos/cluster-leader.test.ts)
// on its own, e.g. to run it several times in a row. It is part of `npm test` too.
export default defineConfig({
  test: {
    include: ["test/chaos/cluster-leader.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
