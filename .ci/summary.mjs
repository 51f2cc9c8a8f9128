// Reads vitest JSON reports (one per test run, named on the command line)
// and prints what CI reads: counts per test file
// and per storage backend, then, as the last line, "N passed, N failed".
// A file that failed to load counts as one failure even though it ran no
// test, and under CI=true so does every skipped test: a backend that could
// not be started must not pass silently.
import { readFileSync } from "node:fs";

const reports = [];
for (const path of process.argv.slice(2)) {
  try {
    reports.push({ label: path.replace(/^.*\//, "").replace(/\.json$/, ""), ...JSON.parse(readFileSync(path, "utf8")) });
  } catch (err) {
    console.log(`no test report at ${path} (${err.message})`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

const blank = () => ({ passed: 0, failed: 0, skipped: 0 });
const line = (c) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
const backends = new Map(["sqlite", "postgres", "mongodb"].map((name) => [name, blank()]));
const total = blank();
const skippedNames = [];
const failures = [];

for (const file of reports.flatMap((report) => report.testResults.map((f) => ({ ...f, label: report.label })))) {
  const counts = blank();
  for (const test of file.assertionResults) {
    const outcome = test.status === "passed" ? "passed" : test.status === "failed" ? "failed" : "skipped";
    counts[outcome]++;
    const name = `${file.name} ${test.fullName}`;
    const backend = [...backends.keys()].find((b) => name.includes(b));
    if (backend) backends.get(backend)[outcome]++;
    if (outcome === "skipped") skippedNames.push(test.fullName);
    if (outcome === "failed") failures.push({ name, messages: test.failureMessages ?? [] });
  }
  if (file.status === "failed" && counts.failed === 0) {
    counts.failed = 1;
    failures.push({ name: file.name, messages: [file.message ?? "the file failed outside its tests"] });
  }
  console.log(`${file.label} ${file.name.slice(process.cwd().length + 1)}: ${line(counts)}`);
  for (const key of Object.keys(total)) total[key] += counts[key];
}
// Checks outside vitest (e.g. CI_EXTRA_RESULTS="image-smoke=passed go-client=failed").
for (const entry of (process.env.CI_EXTRA_RESULTS ?? "").split(/\s+/).filter(Boolean)) {
  const [name, outcome] = entry.split("=");
  const passed = outcome === "passed";
  console.log(`${name}: ${passed ? "passed" : "FAILED"}`);
  if (passed) total.passed++;
  else total.failed++;
}
for (const [name, counts] of backends) console.log(`backend ${name}: ${line(counts)}`);
for (const name of skippedNames) console.log(`skipped: ${name}`);
// CI shows only the tail of the log, so the reason for a failure goes here too.
for (const { name, messages } of failures) {
  console.log(`FAILED: ${name}`);
  for (const message of messages) console.log(`  ${message.split("\n").slice(0, 8).join("\n  ")}`);
}
if (process.env.CI === "true" && total.skipped > 0) {
  console.log(`CI=true: the ${total.skipped} skipped tests count as failures`);
  total.failed += total.skipped;
}
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exitCode = total.failed > 0 ? 1 : 0;
