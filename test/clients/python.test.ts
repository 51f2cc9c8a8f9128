/**
 * The Python client and the Agno adapters: pytest, run against live servers
 * it starts itself, in the two environments the global set-up creates with
 * scripts/python-venv.sh from pinned packages: .venv (agno==1.8.4) runs
 * clients/python/tests but its agno3 folder, .venv-agno3 (agno==3.1.10 and
 * AgentOS) runs clients/python/tests/agno3. Each pytest case is reported
 * here as a test of its own. pytest's temporary files (the servers'
 * databases and logs) go under a directory of this file's, removed afterwards.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp.js";

const root = join(import.meta.dirname, "..", "..");

interface Suite {
  name: string;
  python: string;
  pytestArgs: string[];
}

const suites: Suite[] = [
  {
    name: "Python client and Agno 1.x adapter",
    python: join(root, ".venv", "bin", "python"),
    pytestArgs: ["clients/python/tests", "--ignore=clients/python/tests/agno3"],
  },
  { name: "Agno 3 adapter", python: join(root, ".venv-agno3", "bin", "python"), pytestArgs: ["clients/python/tests/agno3"] },
];

interface Case {
  name: string;
  outcome: "passed" | "failed" | "skipped";
  message: string;
}

function runPytest({ python, pytestArgs }: Suite): { cases: Case[]; output: string } {
  // The package under test is installed from the source tree each run: the
  // wheel carries the generated code, so this also checks the packaging.
  const install = spawnSync(
    python,
    ["-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--force-reinstall", "./clients/python"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (install.status !== 0)
    return {
      cases: [],
      output: `pip install ./clients/python failed: ${install.error?.message ?? ""}\n${install.stdout}${install.stderr}`,
    };
  const dir = tempDir("memoryd-pytest-");
  const report = join(dir, "junit.xml");
  const args = ["-m", "pytest", ...pytestArgs, "-p", "no:cacheprovider", "-q", `--junitxml=${report}`, `--basetemp=${join(dir, "tmp")}`];
  const run = spawnSync(python, args, {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  if (!existsSync(report)) return { cases: [], output };
  const xml = readFileSync(report, "utf8");
  const cases = [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => {
    const body = m[4] ?? "";
    const outcome = /<(failure|error)/.test(body) ? "failed" : /<skipped/.test(body) ? "skipped" : "passed";
    return { name: `${m[1]}::${m[2]}`, outcome, message: body.slice(0, 4000) } as Case;
  });
  return { cases, output };
}

for (const suite of suites) {
  const { cases, output } = runPytest(suite);
  describe(`${suite.name} (pytest)`, () => {
    it("ran pytest and collected its cases", () => {
      expect(
        existsSync(suite.python),
        `${suite.python} is missing: the global set-up (test/global-setup.ts) creates it with scripts/python-venv.sh`,
      ).toBe(true);
      expect(cases.length, output).toBeGreaterThan(0);
    });
    for (const testCase of cases) {
      it.skipIf(testCase.outcome === "skipped")(testCase.name, () => {
        expect(testCase.outcome, testCase.message).toBe("passed");
      });
    }
  });
}
