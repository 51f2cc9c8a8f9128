import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.spec.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Native modules (better-sqlite3) and child processes: separate processes are the robust pool.
    pool: "forks",
    // Most test files wait on servers and child processes rather than compute:
    // three at a time keep two cores busy without starving the timed ones.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
