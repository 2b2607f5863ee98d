// A bulk generation worker thread: loads the configuration, catalog and signing identity once,
// then turns batches of rows into files. Started by pool.ts from the compiled dist/bulk/worker.js.
import { loadConfig } from '../config.js';
import { ProviderCatalog } from '../providers/catalog.js';
import { serveWorkerJobs } from '../service/worker-pool.js';
import { signerFromConfig } from '../signing/index.js';
import { generateRow, type RowTask } from './generator.js';
import type { WorkerInit } from './pool.js';

await serveWorkerJobs(async (init: WorkerInit, log) => {
  const config = loadConfig(init.env);
  const catalog = ProviderCatalog.load({ paths: init.providerPaths, defaultProvider: init.defaultProvider });
  const signingConfig = init.signing ? { ...config, signing: init.signing } : config;
  const signer = init.signed ? await signerFromConfig(signingConfig, { log, cwd: init.cwd, names: init.signingNames }) : undefined;
  const deps = { config, catalog, signer };
  return (tasks: readonly RowTask[]) => tasks.map((task) => generateRow(task, deps));
});
