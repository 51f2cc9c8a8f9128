// @ts-check
/**
 * One read-only SQLite connection on a thread of its own (see
 * `readers.ts` for why). It runs the statements the main thread sends,
 * in order, and answers with their rows as arrays.
 *
 * Plain JavaScript rather than TypeScript: a worker thread loads its file
 * with Node's own loader, which (on Node 20) cannot run TypeScript, so the
 * same file serves the tests (from src/) and the built server (from dist/).
 *
 * @module
 */
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/** @type {{ path: string, busyTimeoutMs: number, cacheKib: number, nice: number }} */
const { path, busyTimeoutMs, cacheKib, nice } = workerData;

/** Thrown inside a statement (through `memoryd_before_deadline`) once the call's deadline passed. */
class DeadlinePassed extends Error {}

// Linux: the nice value of the calling thread only. Searches then yield the
// CPU to the event loop (gets, lists, writes) whenever both want it.
if (nice > 0) setPriority(nice);

const db = new Database(path, { timeout: busyTimeoutMs, fileMustExist: true });
db.pragma("query_only = 1");
db.pragma(`cache_size = ${-cacheKib}`);
let deadline = Number.POSITIVE_INFINITY;
let rowsSinceCheck = 0;
// Called for every row a statement examines: the one way to stop a
// statement part-way, since better-sqlite3 has no interrupt.
db.function("memoryd_before_deadline", { deterministic: false }, () => {
  if (++rowsSinceCheck >= 64) {
    rowsSinceCheck = 0;
    if (Date.now() >= deadline) throw new DeadlinePassed("deadline passed");
  }
  return 1;
});

/** @type {Map<string, import("better-sqlite3").Statement>} */
const statements = new Map();

/** @param {string} sql */
function statement(sql) {
  let prepared = statements.get(sql);
  if (prepared === undefined) {
    prepared = db.prepare(sql).raw(true);
    statements.set(sql, prepared);
  }
  return prepared;
}

/**
 * The steps' rows (see ReadStep in readers.ts) and the count, read in one
 * transaction so that they see the same commits.
 */
const runRead = db.transaction((/** @type {ReadRequest} */ request) => {
  /** @type {unknown[]} */
  let rows = [];
  for (const step of request.steps) {
    rows = statement(step.sql).all(step.params);
    if (step.enough !== undefined && rows.length >= step.enough) break;
  }
  const count = request.count ? /** @type {unknown[]} */ (statement(request.count.sql).get(request.count.params))[0] : undefined;
  return { rows, count };
});

/**
 * @typedef {{ sql: string, params: Record<string, unknown>, enough?: number }} ReadStep
 * @typedef {{ sql: string, params: Record<string, unknown> }} CountStep
 * @typedef {{ id: number, steps: ReadStep[], count: CountStep | null, deadline: number | null }} ReadRequest
 */

parentPort?.on("message", (/** @type {ReadRequest} */ request) => {
  deadline = request.deadline ?? Number.POSITIVE_INFINITY;
  rowsSinceCheck = 0;
  try {
    const { rows, count } = runRead(request);
    parentPort?.postMessage({ id: request.id, rows, count });
  } catch (err) {
    const error = /** @type {Error & { code?: string }} */ (err);
    parentPort?.postMessage({
      id: request.id,
      error: { deadline: err instanceof DeadlinePassed, name: error.name, code: error.code, message: error.message },
    });
  }
});
