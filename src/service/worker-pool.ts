// One pool of worker threads for CPU-bound jobs (building and signing files), used by the web app
// and by bulk generation: the protocol, least-busy dispatch and error transport live only here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, receiveMessageOnPort, Worker, workerData, type ResourceLimits } from 'node:worker_threads';
import type { Env } from '../config.js';
import { MailsetupError, reviveError, serializeError, type SerializedError } from '../errors.js';

/** A worker's answer to one job. */
type JobReply<Result> = { id: number; result: Result } | { id: number; error: SerializedError };

/**
 * What a worker posts to the pool: `replies` carries the answers to jobs that were waiting for it
 * while it worked, posted together (see serveWorkerJobs).
 */
export type WorkerReply<Result> = { ready: true } | { log: string } | { initError: SerializedError } | JobReply<Result> | { replies: JobReply<Result>[] };

interface WorkerJob<Job> {
  id: number;
  job: Job;
}

/** A message to every worker, outside the job protocol (a new signing identity). */
interface WorkerControl {
  control: unknown;
}

/**
 * Workers run compiled JavaScript: `path` is relative to dist/ (`bulk/worker.js`). From dist/ the
 * entry is beside this module's folder; loaded from the TypeScript sources (tests), the built copy.
 */
export function workerScript(path: string): URL {
  const beside = new URL(`../${path}`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(`../../dist/${path}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new MailsetupError('INTERNAL', `the worker script ${path} is missing: run npm run build first`);
}

/** Only MAILSETUP_* variables reach workers: they need the configuration, nothing else. */
export function workerEnv(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('MAILSETUP_') && entry[1] !== undefined));
}

/** Buffers arrive from a worker as plain Uint8Arrays; a Buffer view over the same memory, not a copy. */
export function asBuffer(bytes: Uint8Array | Buffer): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface WorkerPoolOptions {
  size: number;
  /** Warnings a worker reports while it starts or works. */
  onLog?: (message: string, threadId: number) => void;
  /**
   * A worker that stops is replaced, and the jobs it held are tried once more on another worker
   * (a long-running server keeps its size and loses no request to one bad moment). A replacement
   * that cannot start is tried again after a pause that doubles up to `restartBackoff.maxMs`.
   * Without this, the first worker that stops fails every pending and later job: a batch run
   * must not carry on short of hands or lose rows silently.
   */
  restartOnExit?: boolean;
  /** Called each time a replacement worker cannot start (it is tried again after a pause). */
  onRestartFailed?: (error: Error) => void;
  /** Pauses between attempts to start a replacement; default 200 ms doubling to 10 s. */
  restartBackoff?: { initialMs: number; maxMs: number };
  resourceLimits?: ResourceLimits;
}

export interface PoolHealth {
  size: number;
  /** Workers ready for jobs now. */
  running: number;
  /** Why a replacement could not start, while the pool is short of workers. */
  cause?: MailsetupError;
}

export interface WorkerPool<Job, Result> {
  readonly size: number;
  run(job: Job): Promise<Result>;
  health(): PoolHealth;
  /**
   * Posts `message` to every worker, starting ones included; each handles it after the jobs
   * already sent to it and before any sent later.
   */
  broadcast(message: unknown): void;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  busy: number;
}

interface Task<Job, Result> {
  id: number;
  job: Job;
  /** Workers this job has been given to. */
  tries: number;
  slot?: Slot | undefined;
  resolve(result: Result): void;
  reject(error: Error): void;
}

const DEFAULT_BACKOFF = Object.freeze({ initialMs: 200, maxMs: 10_000 });
/** Answers a worker posts together at most, and how long it goes on taking jobs for them (ms). */
const REPLY_BATCH = 8;
const REPLY_HOLD_MS = 2;
/** A job is given to at most this many workers: one that stopped, and one more. */
const MAX_TRIES = 2;

function startFailure(thrown: unknown): MailsetupError {
  if (thrown instanceof MailsetupError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new MailsetupError('INTERNAL', `a worker thread failed while starting: ${message}`, { cause: thrown });
}

/** Starts `size` workers from `entry` (each calls serveWorkerJobs); resolves once all are ready. */
export async function startWorkerPool<Job, Result>(entry: URL, data: unknown, options: WorkerPoolOptions): Promise<WorkerPool<Job, Result>> {
  const backoff = options.restartBackoff ?? DEFAULT_BACKOFF;
  const running = new Map<number, Task<Job, Result>>();
  /** Jobs waiting for a worker: every worker stopped and a replacement is starting. */
  const queue: Task<Job, Result>[] = [];
  const slots: Slot[] = [];
  const workers = new Set<Worker>();
  const pauses = new Set<() => void>();
  let replacing = 0;
  let nextId = 1;
  let closing = false;
  let broken: Error | undefined;
  let cause: MailsetupError | undefined;

  const unavailable = (why: MailsetupError) =>
    new MailsetupError('UNAVAILABLE', `no worker thread can start: ${why.message}`, { cause: why, ...(why.rule ? { rule: why.rule } : {}) });

  const dispatch = (task: Task<Job, Result>) => {
    if (slots.length === 0) return void queue.push(task);
    const slot = slots.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best));
    slot.busy++;
    task.slot = slot;
    task.tries++;
    running.set(task.id, task);
    slot.worker.postMessage({ id: task.id, job: task.job } satisfies WorkerJob<Job>);
  };

  const drainQueue = () => {
    while (queue.length > 0 && slots.length > 0) dispatch(queue.shift()!);
  };

  const failAll = (error: Error) => {
    for (const task of [...running.values(), ...queue.splice(0)]) task.reject(error);
    running.clear();
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      pauses.add(wake);
    });

  /** Jobs the stopped worker held go to another worker once; a second stop fails them. */
  const rescue = (slot: Slot, error: Error) => {
    for (const [id, task] of running) {
      if (task.slot !== slot) continue;
      running.delete(id);
      if (task.tries < MAX_TRIES) dispatch(task);
      else task.reject(error);
    }
  };

  const replace = async () => {
    replacing++;
    let wait = backoff.initialMs;
    try {
      while (!closing) {
        try {
          await startOne();
          if (slots.length >= options.size) cause = undefined;
          drainQueue();
          return;
        } catch (thrown) {
          if (closing) return;
          cause = startFailure(thrown);
          options.onRestartFailed?.(cause);
          // Nobody can take the waiting jobs for a while: answer them now rather than hang.
          if (slots.length === 0) for (const task of queue.splice(0)) task.reject(unavailable(cause));
          await pause(wait);
          wait = Math.min(wait * 2, backoff.maxMs);
        }
      }
    } finally {
      replacing--;
    }
  };

  const startOne = () =>
    new Promise<Slot>((resolve, reject) => {
      const worker = new Worker(entry, { workerData: data, ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) });
      const slot: Slot = { worker, busy: 0 };
      workers.add(worker);
      let ready = false;
      let failure: Error | undefined;
      const settle = (reply: JobReply<Result>) => {
        const task = running.get(reply.id);
        if (!task || task.slot !== slot) return;
        running.delete(reply.id);
        slot.busy--;
        if ('error' in reply) task.reject(reviveError(reply.error));
        else task.resolve(reply.result);
      };
      worker.on('message', (reply: WorkerReply<Result>) => {
        if ('ready' in reply) {
          if (closing) return void worker.terminate();
          ready = true;
          slots.push(slot);
          return resolve(slot);
        }
        if ('log' in reply) return options.onLog?.(reply.log, worker.threadId);
        if ('initError' in reply) {
          void worker.terminate();
          return reject(reviveError(reply.initError));
        }
        if ('replies' in reply) for (const one of reply.replies) settle(one);
        else settle(reply);
      });
      worker.on('error', (error) => {
        failure = error;
        reject(error);
      });
      worker.on('exit', (code) => {
        workers.delete(worker);
        const index = slots.indexOf(slot);
        if (index >= 0) slots.splice(index, 1);
        if (!ready) return reject(failure ?? new MailsetupError('INTERNAL', `a worker thread stopped while starting (exit code ${code})`));
        if (closing) return;
        const error = failure
          ? new MailsetupError('INTERNAL', 'a worker thread failed', { cause: failure })
          : new MailsetupError('INTERNAL', `a worker thread stopped (exit code ${code})`);
        if (!options.restartOnExit) {
          broken ??= error;
          return failAll(error);
        }
        rescue(slot, error);
        void replace();
      });
    });

  const stopAll = async () => {
    closing = true;
    for (const wake of [...pauses]) wake();
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    failAll(new MailsetupError('INTERNAL', 'the worker pool was closed'));
  };

  const started = await Promise.allSettled(Array.from({ length: options.size }, startOne));
  const firstFailure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (firstFailure) {
    await stopAll();
    throw firstFailure.reason;
  }

  return {
    size: options.size,
    run(job) {
      if (broken) return Promise.reject(broken);
      if (closing) return Promise.reject(new MailsetupError('INTERNAL', 'the worker pool was closed'));
      if (slots.length === 0) {
        // A replacement is on its way: wait for it, unless the last one could not start.
        if (replacing === 0) return Promise.reject(new MailsetupError('INTERNAL', 'no worker thread is running'));
        if (cause) return Promise.reject(unavailable(cause));
      }
      return new Promise<Result>((resolve, reject) => dispatch({ id: nextId++, job, tries: 0, resolve, reject }));
    },
    health() {
      return { size: options.size, running: slots.length, ...(cause && slots.length < options.size ? { cause } : {}) };
    },
    broadcast(message) {
      for (const worker of workers) worker.postMessage({ control: message } satisfies WorkerControl);
    },
    close: stopAll,
  };
}

export interface ServeOptions<Job> {
  /**
   * Whether a job is short enough (a file, not a batch of rows) that answers already made may
   * wait for it to be posted together with its own. Without it, every answer is posted alone.
   */
  mayWait?: (job: Job) => boolean;
  /** How long a worker goes on taking waiting jobs for a held answer; default REPLY_HOLD_MS. */
  holdMs?: number;
}

/**
 * The worker side: `setup` loads what every job needs (configuration, catalog, signer) once, from
 * the pool's data, and returns the job handler. Errors cross back as MailsetupErrors.
 */
export async function serveWorkerJobs<Data, Job, Result>(
  setup: (data: Data, log: (message: string) => void) => Promise<(job: Job) => Result> | ((job: Job) => Result),
  /** Receives what the pool broadcasts; what it throws is reported as a log line. */
  onControl?: (message: unknown, log: (message: string) => void) => void,
  options: ServeOptions<Job> = {},
): Promise<void> {
  const port = parentPort;
  if (!port) throw new MailsetupError('INTERNAL', 'serveWorkerJobs runs only in a worker thread');
  const post = (reply: WorkerReply<Result>) => port.postMessage(reply);
  const log = (message: string) => post({ log: message });
  const holdMs = options.holdMs ?? REPLY_HOLD_MS;
  try {
    const handle = await setup(workerData as Data, log);
    /** Takes one message in the order it was sent; a job's answer goes to `replies`. */
    const take = (message: WorkerJob<Job> | WorkerControl, replies: JobReply<Result>[]) => {
      if ('control' in message) {
        try {
          onControl?.(message.control, log);
        } catch (thrown) {
          log(serializeError(thrown).message);
        }
        return;
      }
      const { id, job } = message;
      try {
        replies.push({ id, result: handle(job) });
      } catch (thrown) {
        replies.push({ id, error: serializeError(thrown) });
      }
    };
    // Jobs already waiting when one is done are taken at once and their answers posted together:
    // each post wakes the pool's thread, and under load those wake-ups cost about as much as the
    // work around a signature (`npm run bench -- http`). A job that finds the worker idle is
    // answered at once; a first answer waits for at most REPLY_BATCH - 1 more, taken within
    // `holdMs`, and only for jobs `mayWait` says are short.
    port.on('message', (first: WorkerJob<Job> | WorkerControl) => {
      let message: WorkerJob<Job> | WorkerControl | undefined = first;
      while (message !== undefined) {
        const replies: JobReply<Result>[] = [];
        const since = performance.now();
        take(message, replies);
        message = undefined;
        while (replies.length < REPLY_BATCH && performance.now() - since < holdMs) {
          const next = receiveMessageOnPort(port)?.message as WorkerJob<Job> | WorkerControl | undefined;
          if (next === undefined) break;
          if ('job' in next && !(options.mayWait?.(next.job) ?? false)) {
            message = next;
            break;
          }
          take(next, replies);
        }
        if (replies.length === 1) post(replies[0]!);
        else if (replies.length > 1) post({ replies });
      }
    });
    post({ ready: true });
  } catch (thrown) {
    post({ initError: serializeError(thrown) });
  }
}
