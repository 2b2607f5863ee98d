// Bulk generation on every core: batches of rows go to the shared worker-thread pool, each worker
// with its own catalog and signer. A worker that stops fails the run rather than losing rows.
import { availableParallelism } from 'node:os';
import type { SigningConfig } from '../config.js';
import type { SigningOptions } from '../signing/index.js';
import { asBuffer, startWorkerPool, workerScript } from '../service/worker-pool.js';
import type { BatchGenerator, RowOutput, RowTask } from './generator.js';

export interface WorkerInit {
  env: Record<string, string>;
  providerPaths: string[];
  defaultProvider: string | undefined;
  signed: boolean;
  /** Signing settings with command-line flags applied; absent: from the environment. */
  signing?: SigningConfig | undefined;
  /** How the signing settings were given (flag names), for messages. */
  signingNames?: SigningOptions['names'];
  /** Folder relative signing paths are resolved from. */
  cwd: string;
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

function withBuffers(output: RowOutput): RowOutput {
  for (const file of output.files) file.body = asBuffer(file.body);
  return output;
}

export async function startBulkWorkers(init: WorkerInit, size = defaultWorkerCount(), log: (message: string) => void = () => {}): Promise<BatchGenerator> {
  const pool = await startWorkerPool<readonly RowTask[], RowOutput[]>(workerScript('bulk/worker.js'), init, {
    size,
    onLog: log,
    // A worker's live data is small (catalog, identity, one batch); a smaller young generation
    // keeps each thread's resident memory near that instead of growing with the churn.
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
  });
  return {
    parallelism: pool.size,
    run: async (tasks) => (await pool.run(tasks)).map(withBuffers),
    close: () => pool.close(),
  };
}
