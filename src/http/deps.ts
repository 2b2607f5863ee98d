// What the web app is built from; tests pass their own (in-memory catalog, test signer, clock).
import type { Config } from '../config.js';
import type { PoolHealth } from '../service/worker-pool.js';
import type { DiscoveryService } from '../discovery/service.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { Signer } from '../signing/signer.js';
import type { Logger } from '../logger.js';
import type { BatchGenerator } from '../bulk/generator.js';
import type { Generate } from './generation.js';

export interface AppDeps {
  config: Readonly<Config>;
  catalog: ProviderCatalog;
  signer?: Signer | undefined;
  logger?: Logger;
  /** Injected clock (milliseconds), for expiring links and logs. */
  now?: () => number;
  /** Builds and signs files; default: inline. src/server.ts passes a worker-thread pool. */
  generate?: Generate;
  /** The admin page's rows (check, ZIP, mail); default: inline. src/server.ts passes the same pool's batches. */
  generateRows?: BatchGenerator;
  /** The state of that pool, for /healthz. */
  health?: () => PoolHealth;
  /** Finds unknown domains' servers and tests settings; without it, unknown domains get the form for typing them in. */
  discovery?: DiscoveryService | undefined;
}
