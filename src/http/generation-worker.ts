// A generation worker thread for the web app: loads configuration, catalog and signing identity
// once, then builds and signs one file per job, or a batch of rows for the admin page (the same
// generateRow the bulk command's workers run). Started by generation.ts from dist/.
import { loadConfig } from '../config.js';
import { generateRow, type RowOutput } from '../bulk/generator.js';
import { ProviderCatalog } from '../providers/catalog.js';
import { generate } from '../service/generate.js';
import { serveWorkerJobs } from '../service/worker-pool.js';
import { createSigner } from '../signing/cms-signer.js';
import { identityFromMaterial } from '../signing/identity-holder.js';
import { signerFromConfig } from '../signing/index.js';
import type { Signer } from '../signing/signer.js';
import type { GenerationControl, GenerationJob, GenerationWorkerInit, WebFile } from './generation.js';

let signer: Signer;

await serveWorkerJobs(
  async (init: GenerationWorkerInit) => {
    const config = loadConfig(init.env);
    const catalog = ProviderCatalog.load({ paths: config.providerPaths, defaultProvider: config.defaultProvider });
    // The main thread has already checked the identity and reported its warnings; workers stay quiet.
    signer = init.identity ? createSigner(identityFromMaterial(init.identity)) : await signerFromConfig(config, { cwd: init.cwd });
    return (job: GenerationJob): WebFile | RowOutput[] => {
      if (job.kind === 'rows') return job.tasks.map((task) => generateRow(task, { config, catalog, signer }));
      const file = generate(job.request, { config, catalog, signer });
      return { format: file.format, fileName: file.fileName, contentType: file.contentType, body: file.body, signed: file.signed, warnings: file.warnings };
    };
  },
  (message) => {
    // A renewed or replaced identity: the job being signed (if any) has finished with the old one.
    signer = createSigner(identityFromMaterial((message as GenerationControl).identity));
  },
  // A file takes a signature's time; a batch of rows may take seconds: no answer waits for one.
  { mayWait: (job) => job.kind === 'file' },
);
