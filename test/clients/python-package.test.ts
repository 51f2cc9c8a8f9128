/**
 * The Python client as a user gets it: `python -m build` makes the sdist
 * and, from the sdist alone, the wheel; both must carry the generated
 * `memoryd.v1`. The wheel goes into a fresh venv in a directory outside the
 * repository, beside the pinned type checker (requirements-typecheck.txt);
 * examples/session.py, copied there, runs against a live memoryd on SQLite
 * and passes `mypy --strict` on the installed package's types, which
 * assert_type checks are real (the sync and async wrappers' and the
 * mypy-protobuf stubs').
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { tempDir } from "../helpers/temp.js";

const root = join(import.meta.dirname, "..", "..");
const buildPython = join(root, ".venv", "bin", "python");
/** Building, a venv and installing from PyPI's cache: about 20 s here. */
const TIMEOUT_MS = 300_000;

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: TIMEOUT_MS, env: { ...process.env, PYTHONPATH: "" } });
  return { status: result.status, output: `${result.error?.message ?? ""}${result.stdout}${result.stderr}` };
}

describe("Python client package, installed into a clean project", () => {
  const work = tempDir("memoryd-python-package-");
  const dist = join(work, "dist");
  const project = join(work, "project");
  const venvPython = join(project, "venv", "bin", "python");
  let server: ServerProcess;

  beforeAll(async () => {
    server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${join(work, "memoryd.db")}`] });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  it(
    "builds an sdist and, from it, a wheel, both with memoryd.v1",
    () => {
      const built = run(buildPython, ["-m", "build", "--no-isolation", "--outdir", dist, "clients/python"], root);
      expect(built.status, built.output).toBe(0);
      const files = readdirSync(dist);
      const sdist = files.find((f) => f.endsWith(".tar.gz"));
      const wheel = files.find((f) => f.endsWith(".whl"));
      expect(sdist && wheel, files.join(", ")).toBeTruthy();
      const sdistFiles = run("tar", ["tzf", join(dist, sdist!)], work).output;
      expect(sdistFiles).toMatch(/src\/memoryd\/v1\/memory_service_pb2_grpc\.py/);
      expect(sdistFiles).toMatch(/src\/memoryd\/py\.typed/);
      const wheelFiles = run(buildPython, ["-m", "zipfile", "-l", join(dist, wheel!)], work).output;
      for (const file of ["memoryd/v1/memory_service_pb2.py", "memoryd/v1/user_memory_pb2.pyi", "memoryd/py.typed", "memoryd/agno3.py"]) {
        expect(wheelFiles).toContain(file);
      }
    },
    TIMEOUT_MS,
  );

  it(
    "installs into a fresh venv and runs the example session against a live server",
    () => {
      const venv = run("python3", ["-m", "venv", join(project, "venv")], work);
      expect(venv.status, venv.output).toBe(0);
      const wheel = readdirSync(dist).find((f) => f.endsWith(".whl"))!;
      const install = run(
        venvPython,
        [
          "-m",
          "pip",
          "install",
          "--quiet",
          "--disable-pip-version-check",
          join(dist, wheel),
          "-r",
          join(root, "clients/python/requirements-typecheck.txt"),
        ],
        project,
      );
      expect(install.status, install.output).toBe(0);
      copyFileSync(join(root, "clients/python/examples/session.py"), join(project, "session.py"));
      const session = run(venvPython, ["session.py", server.address], project);
      expect(session.status, session.output).toBe(0);
      expect(session.output).toContain("get: Prefers dark mode");
      expect(session.output).toContain("listed: 6 in pages of 2");
      expect(session.output).toContain("search: ['Prefers dark mode']");
      expect(session.output).toContain("updated topics: ['ui', 'a11y'] text kept: Prefers dark mode");
      expect(session.output).toContain("replaced: Prefers light mode");
      expect(session.output).toContain("stale etag: ABORTED ETAG_MISMATCH");
      expect(session.output).toContain("cleared: 5");
    },
    TIMEOUT_MS,
  );

  it(
    "type-checks the example with mypy --strict against the installed package",
    () => {
      // The wrapper's results and the raw gRPC stubs' (mypy-protobuf) are real types, not Any.
      writeFileSync(
        join(project, "typed_probe.py"),
        [
          "from typing import assert_type",
          "from memoryd import MemoryClient, UserMemory",
          "from memoryd.v1 import memory_service_pb2",
          'client = MemoryClient("127.0.0.1:1")',
          'assert_type(client.get("u", "m"), UserMemory)',
          'request = memory_service_pb2.GetUserMemoryRequest(user_id="u", memory_id="m")',
          "assert_type(client.stub.GetUserMemory(request), memory_service_pb2.GetUserMemoryResponse)",
          "from memoryd.aio import AsyncMemoryClient",
          "async def main() -> None:",
          '    async with AsyncMemoryClient("127.0.0.1:1") as aclient:',
          '        assert_type(await aclient.get("u", "m"), UserMemory)',
          '        assert_type([m async for m in aclient.iter_memories("u", agent_id="a")], list[UserMemory])',
          '        assert_type(await aclient.with_options(timeout=1).clear("u"), int)',
          "",
        ].join("\n"),
      );
      const checked = run(join(project, "venv", "bin", "mypy"), ["--strict", "session.py", "typed_probe.py"], project);
      expect(checked.status, checked.output).toBe(0);
      expect(checked.output).toContain("Success: no issues found in 2 source files");
    },
    TIMEOUT_MS,
  );
});
