// A generation worker thread: loads the configuration, catalog and signing identity once, then
// turns batches of rows into files. Started by pool.ts from the compiled dist/bulk/worker.js.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config.js';
import { asMailsetupError } from '../errors.js';
import { ProviderCatalog } from '../providers/catalog.js';
import { generateRow, type GeneratorDeps, type RowTask } from './generator.js';
import { bulkSigner } from './signer.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './pool.js';

const port = parentPort!;
const init = workerData as WorkerInit;

async function start(): Promise<GeneratorDeps> {
  const config = loadConfig(init.env);
  const catalog = ProviderCatalog.load({ paths: init.providerPaths, defaultProvider: init.defaultProvider });
  const signingConfig = init.signing ? { ...config, signing: init.signing } : config;
  const signer = init.signed ? await bulkSigner(signingConfig, (message) => port.postMessage({ log: message } satisfies WorkerReply), init.cwd) : undefined;
  return { config, catalog, signer };
}

function failure(thrown: unknown) {
  const error = asMailsetupError(thrown);
  return { code: error.code, message: error.message, field: error.field, rule: error.rule };
}

try {
  const deps = await start();
  port.on('message', (request: WorkerRequest) => {
    try {
      const outputs = request.tasks.map((task: RowTask) => generateRow(task, deps));
      port.postMessage({ id: request.id, outputs } satisfies WorkerReply);
    } catch (thrown) {
      port.postMessage({ id: request.id, error: failure(thrown) } satisfies WorkerReply);
    }
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
} catch (thrown) {
  port.postMessage({ initError: failure(thrown) } satisfies WorkerReply);
}
