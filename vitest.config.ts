import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.spec.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Native modules (better-sqlite3) and child processes: separate processes are the robust pool.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
