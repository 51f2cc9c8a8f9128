// Reads vitest's JSON report and prints the counts CI reads: the last line
// is "N passed, N failed". A file that failed to load counts as one failure
// even though it ran no test, and so does every skipped test under CI=true
// (a backend that could not be started must not pass silently).
import { readFileSync } from "node:fs";

let report;
try {
  report = JSON.parse(readFileSync(process.argv[2], "utf8"));
} catch (err) {
  console.log(`no test report (${err.message})`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const test of file.assertionResults) {
    if (test.status === "passed") counts.passed++;
    else if (test.status === "failed") counts.failed++;
    else counts.skipped++;
  }
  if (file.status === "failed" && counts.failed === 0) counts.failed = 1;
  const name = file.name.slice(process.cwd().length + 1);
  console.log(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  if (counts.skipped > 0) {
    for (const test of file.assertionResults.filter((t) => t.status !== "passed" && t.status !== "failed")) {
      console.log(`  skipped: ${test.fullName}`);
    }
  }
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
}
if (process.env.CI === "true" && skipped > 0) {
  console.log(`CI=true: ${skipped} skipped tests count as failures`);
  failed += skipped;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
