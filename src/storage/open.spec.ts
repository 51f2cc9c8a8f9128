import { expect, it } from "vitest";
import { backendFor, openStore, STORAGE_BACKENDS, StorageUrlError } from "./open.js";

it("finds the backend of each registered scheme, and nothing else", () => {
  for (const backend of STORAGE_BACKENDS) {
    for (const scheme of backend.schemes) expect(backendFor(`${scheme}://somewhere`).name).toBe(backend.name);
  }
  expect(() => backendFor("redis://localhost")).toThrow(StorageUrlError);
  expect(() => backendFor("./data/memoryd.db")).toThrow(StorageUrlError);
});

it("refuses unknown storage URL schemes without quoting a password", async () => {
  const err = await openStore("redis://user:secret@localhost").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StorageUrlError);
  expect((err as Error).message).toContain('"redis://***@localhost"');
  expect((err as Error).message).not.toContain("secret");
});
