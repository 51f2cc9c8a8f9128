/**
 * Reader threads for SQLite's expensive reads (searches, filtered lists).
 *
 * better-sqlite3 runs a statement to the end without yielding, so on the
 * event loop one tenant's search through 10,000 long memories (~300 ms)
 * would stall every other tenant's call, health checks included. These
 * reads run instead on worker threads with connections of their own (WAL
 * lets readers run beside the writer and see every committed write), at a
 * lower CPU priority than the event loop, taken from a queue that serves
 * users in turn, so a tenant with many expensive calls waits behind its own
 * calls, not in front of everyone else's. Each statement checks the call's
 * deadline as it goes (`memoryd_before_deadline`), so no read outlives it.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { DeadlineExceededError, OverloadedError, StorageError } from "../errors.js";

/** One statement of a read; the read stops after the first step that returns at least `enough` rows. */
export interface ReadStep {
  readonly sql: string;
  readonly params: Record<string, unknown>;
  readonly enough?: number;
}

/**
 * A read: statements tried in turn for the rows (see `ReadStep`), and
 * optionally one more whose single value is a count, in the same
 * transaction, so rows and count agree.
 */
export interface Read {
  readonly steps: readonly ReadStep[];
  readonly count?: { readonly sql: string; readonly params: Record<string, unknown> } | undefined;
}

/** What a read returns. */
export interface ReadResult {
  readonly rows: unknown[];
  readonly count?: number | undefined;
}

export interface ReaderOptions {
  readonly path: string;
  readonly threads: number;
  readonly busyTimeoutMs: number;
  readonly cacheKib: number;
  /** Nice value of the reader threads (0 to 19; higher yields more). */
  readonly nice: number;
}

interface Job {
  readonly userId: string;
  readonly read: Read;
  readonly deadline: number | undefined;
  readonly resolve: (result: ReadResult) => void;
  readonly reject: (error: Error) => void;
}

interface Reader {
  worker: Worker;
  job: Job | undefined;
}

interface WorkerReply {
  id: number;
  rows?: unknown[];
  count?: number;
  error?: { deadline: boolean; name: string; code?: string; message: string };
}

/** Queued reads of one user at most, and of everybody; beyond them a read is refused rather than held. */
const MAX_QUEUED_PER_USER = 64;
const MAX_QUEUED = 1024;

const WORKER_URL = new URL("./reader.worker.mjs", import.meta.url);

/** A driver error as the worker reported it, shaped like better-sqlite3's for the store's translator. */
export class ReaderError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "ReaderError";
  }
}

export class SqliteReaders {
  readonly #options: ReaderOptions;
  readonly #readers: Reader[] = [];
  /** Waiting reads by user, in the order users are served (a Map keeps insertion order). */
  readonly #queues = new Map<string, Job[]>();
  #queued = 0;
  #nextId = 0;
  #closed = false;

  /** Threads start on first use, up to `options.threads`. */
  constructor(options: ReaderOptions) {
    this.#options = options;
  }

  #spawn(): Reader {
    const { path, busyTimeoutMs, cacheKib, nice } = this.#options;
    // execArgv: none of the process's preloads (--import, --require): a reader thread runs SQL, nothing else.
    const worker = new Worker(WORKER_URL, { workerData: { path, busyTimeoutMs, cacheKib, nice }, execArgv: [] });
    const reader: Reader = { worker, job: undefined };
    reader.worker.on("message", (reply: WorkerReply) => this.#settle(reader, reply));
    reader.worker.on("error", (err) => this.#lost(reader, err));
    reader.worker.on("exit", (code) => this.#lost(reader, new Error(`reader thread exited with code ${code}`)));
    reader.worker.unref();
    return reader;
  }

  /** Runs `read` on a reader thread when it is `userId`'s turn (`userId` "" for reads across users). */
  read(userId: string, read: Read, deadline: number | undefined): Promise<ReadResult> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new StorageError("store is closed"));
      const queue = this.#queues.get(userId) ?? [];
      if (queue.length >= MAX_QUEUED_PER_USER || this.#queued >= MAX_QUEUED) {
        return reject(new OverloadedError("too many searches are waiting; retry later"));
      }
      queue.push({ userId, read, deadline, resolve, reject });
      this.#queues.set(userId, queue);
      this.#queued++;
      this.#dispatch();
    });
  }

  /** Hands waiting reads to idle threads, one user at a time in turn. */
  #dispatch(): void {
    while (this.#queued > 0 && this.#readers.length < this.#options.threads && this.#readers.every((r) => r.job)) {
      this.#readers.push(this.#spawn());
    }
    for (const reader of this.#readers) {
      if (reader.job) continue;
      const job = this.#take();
      if (!job) return;
      if (job.deadline !== undefined && job.deadline <= Date.now()) {
        job.reject(new DeadlineExceededError("the call's deadline passed while it waited for a reader"));
        continue;
      }
      reader.job = job;
      reader.worker.ref();
      reader.worker.postMessage({
        id: ++this.#nextId,
        steps: job.read.steps,
        count: job.read.count ?? null,
        deadline: job.deadline ?? null,
      });
    }
  }

  #take(): Job | undefined {
    const first = this.#queues.entries().next();
    if (first.done) return undefined;
    const [userId, queue] = first.value;
    const job = queue.shift()!;
    this.#queued--;
    // Served: the user goes to the back of the line (or leaves it).
    this.#queues.delete(userId);
    if (queue.length > 0) this.#queues.set(userId, queue);
    return job;
  }

  #settle(reader: Reader, reply: WorkerReply): void {
    const job = reader.job;
    reader.job = undefined;
    reader.worker.unref();
    if (job) {
      if (reply.error?.deadline) job.reject(new DeadlineExceededError("the call's deadline passed during the search"));
      else if (reply.error) job.reject(new ReaderError(reply.error.message, reply.error.code));
      else job.resolve({ rows: reply.rows!, count: reply.count });
    }
    this.#dispatch();
  }

  /** A thread died (a crash in the driver, say): fail its read, start a new thread. */
  #lost(reader: Reader, err: Error): void {
    const index = this.#readers.indexOf(reader);
    if (index < 0) return; // already replaced, or closing
    reader.job?.reject(new StorageError(`sqlite reader thread failed: ${err.message}`, { cause: err }));
    reader.job = undefined;
    if (this.#closed) return;
    this.#readers[index] = this.#spawn();
    this.#dispatch();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values()) for (const job of queue) job.reject(new StorageError("store is closed"));
    this.#queues.clear();
    const readers = this.#readers.splice(0);
    for (const reader of readers) reader.job?.reject(new StorageError("store is closed"));
    await Promise.all(readers.map((reader) => reader.worker.terminate()));
  }
}
