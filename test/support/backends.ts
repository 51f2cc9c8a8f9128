/**
 * The backends of testkit/backends.ts as a test file sees them: whether
 * each is available in this run, and a database private to the calling
 * test file (a SQLite file, a PostgreSQL schema, a MongoDB database), so
 * files running in parallel never see each other's data (some cases clear
 * every user). It is removed when the file finishes, wherever storageUrl()
 * was called.
 */
import { inject } from "vitest";
import { type BackendName, selectedBackends, testBackend } from "../../testkit/backends.js";
import { afterFile } from "../helpers/temp.js";

export type { BackendName };

export interface Backend {
  readonly name: BackendName;
  /** Why this backend's tests are skipped; undefined when it is available. */
  readonly unavailable: string | undefined;
  /** Conformance categories this deployment cannot run (see testkit/backends.ts). */
  readonly exceptions: readonly string[];
  /** A storage URL private to the calling test file. */
  storageUrl(): string;
}

export function backend(name: BackendName): Backend {
  const provisioned = inject("backends")[name];
  if (!provisioned) throw new Error(`backend ${name} is not part of this run (MEMORYD_TEST_BACKENDS=${process.env.MEMORYD_TEST_BACKENDS})`);
  const { url } = provisioned;
  return {
    name,
    unavailable: url ? undefined : provisioned.description,
    exceptions: provisioned.exceptions,
    storageUrl() {
      const isolated = testBackend(name).isolate({ ...provisioned, url: url! });
      afterFile(() => isolated.drop());
      return isolated.url;
    },
  };
}

/** Every backend this run tests (MEMORYD_TEST_BACKENDS, by default all), for test loops. */
export function allBackends(): Backend[] {
  return selectedBackends().map(({ name }) => backend(name));
}
