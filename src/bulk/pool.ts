// A small pool of worker threads for generating and signing files on every core. Each worker
// builds its own catalog and signer; batches go to the least busy worker.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Env, SigningConfig } from '../config.js';
import { MailsetupError, type ErrorCode } from '../errors.js';
import type { BatchGenerator, RowOutput, RowTask } from './generator.js';

export interface WorkerInit {
  env: Record<string, string>;
  providerPaths: string[];
  defaultProvider: string | undefined;
  signed: boolean;
  /** Signing settings with command-line flags applied; absent: from the environment. */
  signing?: SigningConfig | undefined;
  /** Folder relative signing paths are resolved from. */
  cwd: string;
}

export interface WorkerRequest {
  id: number;
  tasks: RowTask[];
}

interface SerializedError {
  code: ErrorCode;
  message: string;
  field?: string | undefined;
  rule?: string | undefined;
}

export type WorkerReply =
  | { ready: true }
  | { log: string }
  | { initError: SerializedError }
  | { id: number; outputs: RowOutput[] }
  | { id: number; error: SerializedError };

/**
 * Workers run compiled JavaScript. From dist/ the entry is beside this file; when this module is
 * loaded from the TypeScript sources (tests), the built copy in dist/ is used.
 */
export function workerEntry(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/bulk/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new MailsetupError('INTERNAL', 'the worker script is missing: run npm run build first');
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

function revive(error: SerializedError): MailsetupError {
  return new MailsetupError(error.code, error.message, { field: error.field, rule: error.rule });
}

/** Only MAILSETUP_* variables reach workers: they need the configuration, nothing else. */
export function workerEnv(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('MAILSETUP_') && entry[1] !== undefined));
}

/** Buffers arrive from a worker as plain Uint8Arrays; views over the same memory, not copies. */
function asBuffers(output: RowOutput): RowOutput {
  for (const file of output.files) {
    const bytes = file.body as Uint8Array;
    if (!Buffer.isBuffer(bytes)) file.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return output;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export async function startWorkerPool(init: WorkerInit, size = defaultWorkerCount(), log: (message: string) => void = () => {}): Promise<BatchGenerator> {
  const entry = workerEntry();
  const pending = new Map<number, { resolve(outputs: RowOutput[]): void; reject(error: Error): void; slot: Slot }>();
  let nextId = 1;
  let closing = false;
  let broken: Error | undefined;

  const fail = (error: Error) => {
    broken ??= error;
    for (const [id, job] of pending) {
      pending.delete(id);
      job.reject(error);
    }
  };

  const startOne = () =>
    new Promise<Slot>((resolve, reject) => {
      // A worker's live data is small (catalog, identity, one batch); a smaller young generation
      // keeps each thread's resident memory near that instead of growing with the churn.
      const worker = new Worker(entry, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 } });
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (reply: WorkerReply) => {
        if ('ready' in reply) return resolve(slot);
        if ('log' in reply) return log(reply.log);
        if ('initError' in reply) return reject(revive(reply.initError));
        const job = pending.get(reply.id);
        if (!job) return;
        pending.delete(reply.id);
        slot.busy--;
        if ('error' in reply) job.reject(revive(reply.error));
        else job.resolve(reply.outputs.map(asBuffers));
      });
      worker.on('error', (error) => {
        reject(error);
        fail(new MailsetupError('INTERNAL', 'a generation worker failed', { cause: error }));
      });
      worker.on('exit', (code) => {
        if (!closing && code !== 0) fail(new MailsetupError('INTERNAL', `a generation worker stopped (exit code ${code})`));
      });
    });

  const started = await Promise.allSettled(Array.from({ length: size }, startOne));
  const slots = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const firstFailure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (firstFailure) {
    closing = true;
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    throw firstFailure.reason;
  }

  return {
    parallelism: slots.length,
    run(tasks) {
      if (broken) return Promise.reject(broken);
      const slot = slots.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best));
      const id = nextId++;
      slot.busy++;
      return new Promise<RowOutput[]>((resolve, reject) => {
        pending.set(id, { resolve, reject, slot });
        slot.worker.postMessage({ id, tasks: tasks as RowTask[] } satisfies WorkerRequest);
      });
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
