// Where bulk generation gets its signing identity: one function, called once per worker thread.
import type { Config } from '../config.js';
import { signerFromConfig } from '../signing/index.js';
import type { Signer } from '../signing/signer.js';

export async function bulkSigner(config: Readonly<Config>, log: (message: string) => void, cwd?: string): Promise<Signer> {
  return signerFromConfig(config as Config, { log, ...(cwd ? { cwd } : {}) });
}
