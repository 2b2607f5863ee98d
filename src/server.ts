// The only file that listens: loads configuration, catalog and identity (server-identity.ts),
// serves the web app over HTTP (or HTTPS with configured or ACME certificates) and shuts down
// gracefully.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config, type Env } from './config.js';
import { asMailsetupError } from './errors.js';
import { createDiscoveryService } from './discovery/service.js';
import { createApp } from './http/app.js';
import { startGenerationPool } from './http/generation.js';
import { jsonLogger, type Logger } from './logger.js';
import { ProviderCatalog } from './providers/catalog.js';
import { openServerIdentity, type ServerIdentity, type ServerIdentityOptions } from './server-identity.js';

/**
 * Draining without dropping: once started, every response not yet begun (those in flight and any
 * that arrive on a kept-alive connection meanwhile) says `Connection: close`, so Node closes each
 * connection after its answer and no client sends another request into a closing server.
 * Returns the function that starts draining.
 */
export function drainOnClose(server: Server): () => void {
  const open = new Set<ServerResponse>();
  let draining = false;
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  // Before the app's own listener, which may answer synchronously.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) return closeAfter(res);
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  return () => {
    draining = true;
    for (const res of open) closeAfter(res);
    open.clear();
  };
}

export interface StartOptions {
  env?: Env;
  /** Where log lines go (default: standard output). */
  write?: (line: string) => void;
  /** Folder relative paths are resolved from. */
  cwd?: string;
  /** Overrides for HOST and PORT (the serve command's --host and --port). */
  host?: string;
  port?: number;
  /** The renewal schedule's clock and timers, backoff and ACME request retries (tests pin them). */
  identity?: Partial<Pick<ServerIdentityOptions, 'clock' | 'random' | 'backoff' | 'acme'>>;
}

export interface RunningServer {
  server: Server;
  url: string;
  config: Readonly<Config>;
  logger: Logger;
  /** The certificate and signing identity, their renewal and reloading. */
  identity: ServerIdentity;
  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(options.env ?? process.env);
  const logger = jsonLogger(options.write ?? ((line) => void process.stdout.write(line)));
  const catalog = ProviderCatalog.load({ paths: config.providerPaths, defaultProvider: config.defaultProvider });
  const host = options.host ?? config.web.host;
  const port = options.port ?? config.web.port;
  // Everything that can fail is read (and a first ACME certificate ordered) before worker threads
  // start, so a failure leaves nothing running.
  const identity = await openServerIdentity(config, { logger, cwd: options.cwd ?? process.cwd(), host, port, ...options.identity });
  const signer = identity.signer;
  // Discovery's configured CA file is read here too, before anything starts.
  const discovery = config.discovery.enabled ? createDiscoveryService({ config, catalog }) : undefined;
  // As many workers as cores: the thread serving HTTP mostly waits, and on 2 cores two signing
  // workers measured 2,100 signed downloads/s against 1,500 with one (npm run bench -- http).
  const workers = config.web.workers ?? availableParallelism();
  const pool =
    workers > 0
      ? await startGenerationPool(options.env ?? process.env, { size: workers, cwd: options.cwd ?? process.cwd(), logger, identity: identity.holder }).catch(
          async (error: unknown) => {
            await identity.close();
            throw error;
          },
        )
      : undefined;
  const app = createApp({
    config,
    catalog,
    signer,
    logger,
    discovery,
    ...(pool ? { generate: pool.generate, generateRows: pool.rows, health: () => pool.health() } : {}),
  });
  const server: Server = identity.tls ? identity.tls.attach(createHttpsServer(identity.tls.serverOptions(), app)) : createHttpServer(app);
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  const drain = drainOnClose(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await identity.start(app, (server.address() as AddressInfo).port);
  } catch (error) {
    await pool?.close();
    await identity.close();
    server.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${identity.tls ? 'https' : 'http'}://${shownHost}:${address.port}`;
  const plainPort = (identity.plain?.address() as AddressInfo | null)?.port;
  logger.info(
    {
      url,
      ...(plainPort ? { httpPort: plainPort } : {}),
      workers,
      signer: signer.description?.subject,
      developmentSigner: signer.description?.development ?? false,
    },
    'listening',
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    config,
    logger,
    identity,
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        drain();
        server.close(() => {
          clearTimeout(force);
          void Promise.all([pool?.close(), identity.close()]).then(() => resolve());
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** SIGTERM and SIGINT close the server gracefully; resolves once it has stopped. */
export function closeOnSignals(running: RunningServer, signals: NodeJS.EventEmitter = process): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      running.logger.info({ signal }, 'stopping');
      void running.close().then(() => {
        running.logger.info({}, 'stopped');
        resolve();
      });
    };
    signals.once('SIGTERM', () => stop('SIGTERM'));
    signals.once('SIGINT', () => stop('SIGINT'));
  });
}

/** SIGHUP reloads the configured certificate and key files (a bad replacement is refused); returns the unhook. */
export function reloadOnHangup(running: RunningServer, signals: NodeJS.EventEmitter = process): () => void {
  const reload = () => running.identity.reload('SIGHUP');
  signals.on('SIGHUP', reload);
  return () => void signals.off('SIGHUP', reload);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  startServer()
    .then((running) => {
      reloadOnHangup(running);
      return closeOnSignals(running);
    })
    .catch((error: unknown) => {
      const failure = asMailsetupError(error);
      process.stderr.write(`mailsetup: error: ${failure.message}\n`);
      process.exitCode = failure.exitCode;
    });
}
