// How the web app turns a request into a file: inline (tests, small sites), or on a pool of
// worker threads so building and signing profiles never runs on the event loop that serves HTTP.
import type { BatchGenerator, RowOutput, RowTask } from '../bulk/generator.js';
import type { Env } from '../config.js';
import type { Logger } from '../logger.js';
import type { GenerateRequest } from '../model/request.js';
import { generate, type GeneratedFile, type ServiceDeps } from '../service/generate.js';
import { asBuffer, startWorkerPool, workerEnv, workerScript, type PoolHealth } from '../service/worker-pool.js';
import type { IdentityHolder, IdentityMaterial } from '../signing/identity-holder.js';

/** What the web layer needs of a generated file (the resolved account stays in the worker). */
export type WebFile = Pick<GeneratedFile, 'format' | 'fileName' | 'contentType' | 'body' | 'signed' | 'warnings'>;

export type Generate = (request: GenerateRequest) => Promise<WebFile>;

export function inlineGeneration(deps: ServiceDeps): Generate {
  return (request) => Promise.resolve(generate(request, deps));
}

/** A worker's job: one file for a request, or a batch of staff rows (each row all its files or its error). */
export type GenerationJob = { kind: 'file'; request: GenerateRequest } | { kind: 'rows'; tasks: readonly RowTask[] };

export interface GenerationWorkerInit {
  env: Record<string, string>;
  cwd: string;
  /** The signing identity the server holds; without it each worker loads its own from `env`. */
  identity?: IdentityMaterial;
}

/** What the pool broadcasts when the server's signing identity changes. */
export interface GenerationControl {
  identity: IdentityMaterial;
}

export interface GenerationPool {
  generate: Generate;
  /** The admin page's batches on the same workers; closing the pool closes it. */
  rows: BatchGenerator;
  size: number;
  health(): PoolHealth;
  close(): Promise<void>;
}

/**
 * Starts `size` workers, each with its own catalog loaded from the same environment, signing
 * with the `identity` holder's identity and following its changes.
 */
export async function startGenerationPool(
  env: Env,
  options: { size: number; cwd: string; logger?: Logger; identity?: IdentityHolder },
): Promise<GenerationPool> {
  const init: GenerationWorkerInit = { env: workerEnv(env), cwd: options.cwd, ...(options.identity ? { identity: options.identity.current.material } : {}) };
  const { logger } = options;
  // A worker that dies is replaced (retried with growing pauses while it cannot start, say while
  // the key file is being replaced), so one bad moment does not shrink the pool for good.
  const pool = await startWorkerPool<GenerationJob, WebFile | RowOutput[]>(workerScript('http/generation-worker.js'), init, {
    size: options.size,
    restartOnExit: true,
    onLog: (message, worker) => logger?.warn({ worker }, message),
    onRestartFailed: (error) => logger?.error({ error: error.message }, 'worker-restart-failed'),
  });
  // Jobs sent after a change are signed with the new identity; a replacement worker starts with it.
  const unfollow = options.identity?.onChange((active) => {
    init.identity = active.material;
    pool.broadcast({ identity: active.material } satisfies GenerationControl);
  });
  return {
    size: pool.size,
    health: () => pool.health(),
    generate: async (request) => {
      const file = (await pool.run({ kind: 'file', request })) as WebFile;
      return { ...file, body: asBuffer(file.body) };
    },
    rows: {
      parallelism: pool.size,
      run: async (tasks) => {
        const outputs = (await pool.run({ kind: 'rows', tasks })) as RowOutput[];
        return outputs.map((output) => ({ ...output, files: output.files.map((file) => ({ ...file, body: asBuffer(file.body) })) }));
      },
      close: async () => {},
    },
    close: () => {
      unfollow?.();
      return pool.close();
    },
  };
}
