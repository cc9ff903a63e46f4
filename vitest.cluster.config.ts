import { defineConfig } from "vitest/config";

// `npm run test:cluster`: the 3-node JetStream cluster chaos test (test/chaos/cluster-leader.test.ts).
// Kept out of `npm test` until it passes reliably: a ticker room can still wait 5–11 s for
// its first tick after the MD leader is killed (bound 5 s; see the issue-14 note and
// test/chaos/README.md). Loss and duplicate checks have passed in every run so far.
export default defineConfig({
  test: {
    include: ["test/chaos/cluster-leader.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
