// A generation worker thread for the web app: loads configuration, catalog and signing identity
// once, then builds and signs one file per message. Started by generation.ts from dist/.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config.js';
import type { GenerateRequest } from '../model/request.js';
import { ProviderCatalog } from '../providers/catalog.js';
import { generate } from '../service/generate.js';
import { signerFromConfig } from '../signing/index.js';
import { serializeError, type GenerationReply, type GenerationWorkerInit } from './generation.js';

const port = parentPort!;
const init = workerData as GenerationWorkerInit;

try {
  const config = loadConfig(init.env);
  const catalog = ProviderCatalog.load({ paths: config.providerPaths, defaultProvider: config.defaultProvider });
  // The main thread has already reported the identity's warnings; workers stay quiet.
  const signer = await signerFromConfig(config, { cwd: init.cwd });
  port.on('message', (message: { id: number; request: GenerateRequest }) => {
    try {
      const file = generate(message.request, { config, catalog, signer });
      const reply: GenerationReply = { id: message.id, file: { format: file.format, fileName: file.fileName, contentType: file.contentType, body: file.body, signed: file.signed, warnings: file.warnings } };
      port.postMessage(reply);
    } catch (thrown) {
      port.postMessage({ id: message.id, error: serializeError(thrown) } satisfies GenerationReply);
    }
  });
  port.postMessage({ ready: true } satisfies GenerationReply);
} catch (thrown) {
  port.postMessage({ initError: serializeError(thrown) } satisfies GenerationReply);
}
