/**
 * What a test file creates outside itself — temporary directories, schemas,
 * databases — removed when the file finishes, wherever it was created: at
 * module scope, in a hook or inside a test. (A hook registered from inside
 * a running test never runs, so this module registers one `afterAll` when
 * it loads, while the file is being collected, and runs everything
 * registered with `afterFile` there. Registered first, it runs after the
 * file's own `afterAll` hooks, once its servers are stopped.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  const errors: unknown[] = [];
  // Last registered, first undone.
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw new AggregateError(errors, "cleanup after the test file failed");
});

/** Runs `cleanup` when the test file finishes. */
export function afterFile(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** A fresh directory, removed when the test file finishes. */
export function tempDir(prefix = "memoryd-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterFile(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
