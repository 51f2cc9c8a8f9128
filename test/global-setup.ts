/**
 * Starts what the tests need once per run: the compiled server for the
 * process tests, and each backend of testkit/backends.ts (a throwaway
 * PostgreSQL cluster and a FerretDB server, or POSTGRES_URL / MONGODB_URL
 * instead). Test files reach them through vitest's inject(); a backend that
 * could not be started is passed on with the reason, and its tests are
 * reported as skipped by name.
 */
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { type BackendName, type Provisioned, TEST_BACKENDS } from "../testkit/backends.js";

declare module "vitest" {
  export interface ProvidedContext {
    backends: Record<BackendName, Provisioned>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Process-level tests run the compiled server exactly as `npm start` does.
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const cleanups: (() => Promise<void>)[] = [];
  const provisioned = await Promise.all(TEST_BACKENDS.map((backend) => backend.provision({}, cleanups)));
  const backends = Object.fromEntries(TEST_BACKENDS.map((backend, i) => [backend.name, provisioned[i]!])) as Record<BackendName, Provisioned>;
  for (const [name, { description }] of Object.entries(backends)) console.log(`${name}: ${description}`);
  project.provide("backends", backends);
  return async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
  };
}
