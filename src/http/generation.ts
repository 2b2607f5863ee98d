// How the web app turns a request into a file: inline (tests, small sites), or on a pool of
// worker threads so building and signing profiles never runs on the event loop that serves HTTP.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Env } from '../config.js';
import type { Logger } from './deps.js';
import { asMailsetupError, MailsetupError, type ErrorCode, type FieldIssue } from '../errors.js';
import type { GenerateRequest } from '../model/request.js';
import { generate, type GeneratedFile, type ServiceDeps } from '../service/generate.js';

/** What the web layer needs of a generated file (the resolved account stays in the worker). */
export type WebFile = Pick<GeneratedFile, 'format' | 'fileName' | 'contentType' | 'body' | 'signed' | 'warnings'>;

export type Generate = (request: GenerateRequest) => Promise<WebFile>;

export function inlineGeneration(deps: ServiceDeps): Generate {
  return async (request) => generate(request, deps);
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  field?: string | undefined;
  rule?: string | undefined;
  details?: readonly FieldIssue[];
}

export function serializeError(thrown: unknown): SerializedError {
  const error = asMailsetupError(thrown);
  return { code: error.code, message: error.message, field: error.field, rule: error.rule, details: error.details };
}

export interface GenerationWorkerInit {
  env: Record<string, string>;
  cwd: string;
}

export type GenerationReply =
  | { ready: true }
  | { log: string }
  | { initError: SerializedError }
  | { id: number; file: WebFile }
  | { id: number; error: SerializedError };

/** Workers run compiled JavaScript: beside this file in dist/, or dist/ when loaded from sources. */
function workerEntry(): URL {
  const beside = new URL('./generation-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/http/generation-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new MailsetupError('INTERNAL', 'the generation worker script is missing: run npm run build first');
}

export interface GenerationPool {
  generate: Generate;
  size: number;
  close(): Promise<void>;
}

/** Starts `size` workers, each with its own catalog and signer loaded from the same environment. */
export async function startGenerationPool(env: Env, options: { size: number; cwd: string; logger?: Logger }): Promise<GenerationPool> {
  const init: GenerationWorkerInit = {
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('MAILSETUP_') && e[1] !== undefined)),
    cwd: options.cwd,
  };
  const entry = workerEntry();
  const pending = new Map<number, { resolve(file: WebFile): void; reject(error: Error): void }>();
  const slots: { worker: Worker; busy: number }[] = [];
  let nextId = 1;
  let closing = false;

  const revive = (e: SerializedError) => new MailsetupError(e.code, e.message, { field: e.field, rule: e.rule, ...(e.details ? { details: e.details } : {}) });
  const startOne = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(entry, { workerData: init });
      const slot = { worker, busy: 0 };
      worker.on('message', (reply: GenerationReply) => {
        if ('ready' in reply) {
          slots.push(slot);
          return resolve();
        }
        if ('log' in reply) return options.logger?.warn({ worker: worker.threadId }, reply.log);
        if ('initError' in reply) return reject(revive(reply.initError));
        const job = pending.get(reply.id);
        if (!job) return;
        pending.delete(reply.id);
        slot.busy--;
        if ('error' in reply) job.reject(revive(reply.error));
        else {
          const body = reply.file.body as Uint8Array;
          job.resolve({ ...reply.file, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) });
        }
      });
      worker.on('error', (error) => {
        reject(error);
        for (const [id, job] of pending) {
          pending.delete(id);
          job.reject(new MailsetupError('INTERNAL', 'a generation worker failed', { cause: error }));
        }
      });
      worker.on('exit', () => {
        const index = slots.indexOf(slot);
        if (index >= 0) slots.splice(index, 1);
        // A worker that dies is replaced, so one bad moment does not shrink the pool for good.
        if (!closing) startOne().catch((error: unknown) => options.logger?.error({ error: asMailsetupError(error).message }, 'worker-restart-failed'));
      });
    });

  await Promise.all(Array.from({ length: options.size }, startOne));

  return {
    size: options.size,
    generate(request) {
      if (slots.length === 0) return Promise.reject(new MailsetupError('INTERNAL', 'no generation worker is running'));
      const slot = slots.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best));
      const id = nextId++;
      slot.busy++;
      return new Promise<WebFile>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, request });
      });
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
