// One pool of worker threads for CPU-bound jobs (building and signing files), used by the web app
// and by bulk generation: the protocol, least-busy dispatch and error transport live only here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, workerData, type ResourceLimits } from 'node:worker_threads';
import type { Env } from '../config.js';
import { MailsetupError, reviveError, serializeError, type SerializedError } from '../errors.js';

/** What a worker posts to the pool. */
export type WorkerReply<Result> =
  { ready: true } | { log: string } | { initError: SerializedError } | { id: number; result: Result } | { id: number; error: SerializedError };

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
   * A worker that stops is replaced (its own jobs fail; a long-running server keeps its size).
   * Without this, the first worker that stops fails every pending and later job: a batch run
   * must not carry on short of hands or lose rows silently.
   */
  restartOnExit?: boolean;
  /** Called when a replacement worker cannot start. */
  onRestartFailed?: (error: Error) => void;
  resourceLimits?: ResourceLimits;
}

export interface WorkerPool<Job, Result> {
  readonly size: number;
  run(job: Job): Promise<Result>;
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

interface Pending<Result> {
  slot: Slot;
  resolve(result: Result): void;
  reject(error: Error): void;
}

/** Starts `size` workers from `entry` (each calls serveWorkerJobs); resolves once all are ready. */
export async function startWorkerPool<Job, Result>(entry: URL, data: unknown, options: WorkerPoolOptions): Promise<WorkerPool<Job, Result>> {
  const pending = new Map<number, Pending<Result>>();
  const slots: Slot[] = [];
  const workers = new Set<Worker>();
  const restarts = new Set<Promise<unknown>>();
  let nextId = 1;
  let closing = false;
  let broken: Error | undefined;

  const rejectPending = (error: Error, slot?: Slot) => {
    for (const [id, job] of pending) {
      if (slot && job.slot !== slot) continue;
      pending.delete(id);
      job.reject(error);
    }
  };

  const startOne = () =>
    new Promise<Slot>((resolve, reject) => {
      const worker = new Worker(entry, { workerData: data, ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) });
      const slot: Slot = { worker, busy: 0 };
      workers.add(worker);
      let ready = false;
      let failure: Error | undefined;
      worker.on('message', (reply: WorkerReply<Result>) => {
        if ('ready' in reply) {
          ready = true;
          slots.push(slot);
          return resolve(slot);
        }
        if ('log' in reply) return options.onLog?.(reply.log, worker.threadId);
        if ('initError' in reply) return reject(reviveError(reply.initError));
        const job = pending.get(reply.id);
        if (!job) return;
        pending.delete(reply.id);
        slot.busy--;
        if ('error' in reply) job.reject(reviveError(reply.error));
        else job.resolve(reply.result);
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
          return rejectPending(error);
        }
        rejectPending(error, slot);
        const restart = startOne()
          .catch((thrown: unknown) => options.onRestartFailed?.(thrown instanceof Error ? thrown : new Error(String(thrown))))
          .finally(() => restarts.delete(restart));
        restarts.add(restart);
      });
    });

  const stopAll = async () => {
    closing = true;
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    rejectPending(new MailsetupError('INTERNAL', 'the worker pool was closed'));
  };

  const started = await Promise.allSettled(Array.from({ length: options.size }, startOne));
  const firstFailure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (firstFailure) {
    await stopAll();
    throw firstFailure.reason;
  }

  return {
    size: options.size,
    async run(job) {
      if (broken) throw broken;
      // Every worker stopped at once: wait for a replacement rather than refuse the job.
      if (slots.length === 0 && restarts.size > 0) await Promise.race(restarts);
      if (broken) throw broken;
      if (closing || slots.length === 0) throw new MailsetupError('INTERNAL', 'no worker thread is running');
      const slot = slots.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best));
      const id = nextId++;
      slot.busy++;
      return new Promise<Result>((resolve, reject) => {
        pending.set(id, { slot, resolve, reject });
        slot.worker.postMessage({ id, job } satisfies WorkerJob<Job>);
      });
    },
    broadcast(message) {
      for (const worker of workers) worker.postMessage({ control: message } satisfies WorkerControl);
    },
    close: stopAll,
  };
}

/**
 * The worker side: `setup` loads what every job needs (configuration, catalog, signer) once, from
 * the pool's data, and returns the job handler. Errors cross back as MailsetupErrors.
 */
export async function serveWorkerJobs<Data, Job, Result>(
  setup: (data: Data, log: (message: string) => void) => Promise<(job: Job) => Result> | ((job: Job) => Result),
  /** Receives what the pool broadcasts; what it throws is reported as a log line. */
  onControl?: (message: unknown, log: (message: string) => void) => void,
): Promise<void> {
  const port = parentPort;
  if (!port) throw new MailsetupError('INTERNAL', 'serveWorkerJobs runs only in a worker thread');
  const post = (reply: WorkerReply<Result>) => port.postMessage(reply);
  const log = (message: string) => post({ log: message });
  try {
    const handle = await setup(workerData as Data, log);
    port.on('message', (message: WorkerJob<Job> | WorkerControl) => {
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
        post({ id, result: handle(job) });
      } catch (thrown) {
        post({ id, error: serializeError(thrown) });
      }
    });
    post({ ready: true });
  } catch (thrown) {
    post({ initError: serializeError(thrown) });
  }
}
