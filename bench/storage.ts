/**
 * A database for a benchmark or soak run, from the backends the tests use
 * (testkit/backends.ts), with durable commits; or an explicit storage URL.
 */
import { type BackendName, testBackend } from "../testkit/backends.js";

export type { BackendName };

/** Returns a storage URL; `cleanups` receives what removes the database again. */
export async function benchStorage(backend: BackendName, explicit: string | undefined, cleanups: (() => unknown)[]): Promise<string> {
  if (explicit) return explicit;
  const stops: (() => Promise<void>)[] = [];
  const provisioned = await testBackend(backend).provision({ durable: true }, stops);
  cleanups.push(async () => {
    for (const stop of stops) await stop();
  });
  if (!provisioned.url) throw new Error(`${backend}: ${provisioned.description}`);
  console.log(
    `${backend}: ${provisioned.description}${backend === "mongodb" ? " (FerretDB's figures say little about MongoDB itself)" : ""}`,
  );
  const isolated = testBackend(backend).isolate({ ...provisioned, url: provisioned.url });
  cleanups.unshift(() => isolated.drop().catch(() => {}));
  return isolated.url;
}
