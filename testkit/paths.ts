import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The repository root, found by walking up to package.json: the test
 * support code also runs compiled, from dist/test/, for the benchmarks.
 */
export function repositoryRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}
