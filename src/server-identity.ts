// Where the running server's certificate and signing identity come from, and how they stay
// fresh without a restart: configured files (polled, and reloaded on SIGHUP) or an ACME
// certificate (ordered at first start, renewed in the background). With ACME one identity
// serves HTTPS and signs profiles; configured signing files still win for signing.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { resolve } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { Config } from './config.js';
import { asMailsetupError, MailsetupError } from './errors.js';
import type { Logger } from './logger.js';
import { plainHttpHandler } from './http/plain-http.js';
import { AcmeIssuer, type AcmeIssuerOptions, type OrderedCertificate } from './signing/acme.js';
import { AcmeChallenges } from './signing/acme-challenges.js';
import { AcmeStore } from './signing/acme-store.js';
import { identityFromPem } from './signing/identity.js';
import { activate, IdentityHolder, sameIdentity, type ActiveIdentity, type HolderOptions } from './signing/identity-holder.js';
import { loadSigningIdentity, storedAcmeIdentity } from './signing/index.js';
import { DEFAULT_BACKOFF, URGENT_DAYS, type Backoff } from './signing/renewal.js';
import { Renewer, systemClock, type CurrentCertificate, type RenewalClock } from './signing/renewer.js';
import type { Signer } from './signing/signer.js';
import { alpnChallengeOptions, checkTls, TlsIdentity, type CheckedTls } from './signing/tls-identity.js';

export interface ServerIdentityOptions {
  logger: Logger;
  cwd: string;
  /** Where HTTPS will listen: TLS-ALPN-01 answers there during the first order. */
  host: string;
  port: number;
  /** Time and timers for the renewal schedule (tests drive it). */
  clock?: RenewalClock;
  random?: () => number;
  backoff?: Backoff;
  acme?: AcmeIssuerOptions;
}

export interface ServerIdentity {
  /** The signing identity; the worker pool follows its changes. */
  holder: IdentityHolder;
  /** Signs with the current identity. */
  signer: Signer;
  /** The HTTPS certificate, when this server speaks HTTPS itself. */
  tls: TlsIdentity | undefined;
  /** The plain-HTTP listener beside HTTPS, when there is one. */
  plain: Server | undefined;
  /** Lets the plain-HTTP port serve the app's http paths, then starts renewal and file polling. */
  start(app: RequestListener, httpsPort: number): Promise<void>;
  /** Reloads the configured files now (SIGHUP): a bad replacement is refused and the old identity kept. */
  reload(reason: string): void;
  /** The ACME renewal loop, when ACME is on. */
  renewer: Renewer | undefined;
  close(): Promise<void>;
}

/** Listens, or explains why it cannot (a port below 1024 without the right to bind it, a port in use). */
function listen(server: NetServer, port: number, host: string, field: string): Promise<void> {
  return new Promise((done, fail) => {
    const refused = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EACCES'
          ? 'permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE'
          : error.code === 'EADDRINUSE'
            ? 'another program is listening there'
            : error.message;
      fail(new MailsetupError('CONFIG_INVALID', `cannot listen on ${host}:${port} (${why})`, { field, rule: 'port-available', cause: error }));
    };
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      done();
    });
  });
}

const closeServer = (server: { close(done: () => void): unknown; closeAllConnections?: () => void } | undefined) =>
  new Promise<void>((done) => {
    if (!server) return done();
    server.close(() => done());
    server.closeAllConnections?.();
  });

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new MailsetupError('CONFIG_INVALID', `${what} ${path} cannot be read: ${(error as Error).message}`, { field: what, rule: 'readable', cause: error });
  }
}

function tlsFromFiles(tls: NonNullable<Config['web']['tls']>, cwd: string): CheckedTls {
  const cert = resolve(cwd, tls.certFile);
  const key = resolve(cwd, tls.keyFile);
  return checkTls({ cert: readTlsFile(cert, 'MAILSETUP_TLS_CERT'), key: readTlsFile(key, 'MAILSETUP_TLS_KEY'), source: `${cert}, ${key}` });
}

function certificateOf(checked: CheckedTls): CurrentCertificate {
  const { certificate } = checked;
  return {
    der: certificate.raw,
    notBefore: Date.parse(certificate.validFrom),
    notAfter: Date.parse(certificate.validTo),
    fingerprint256: certificate.fingerprint256,
  };
}

const acmeTls = (ordered: Pick<OrderedCertificate, 'keyPem' | 'chainPem'>, source: string, now: Date): CheckedTls =>
  checkTls({ key: ordered.keyPem, cert: ordered.chainPem, source }, now, 'MAILSETUP_ACME_DOMAINS');

/** What both jobs need from a newly ordered certificate, checked before anything is swapped or stored. */
function checkOrdered(ordered: OrderedCertificate, folder: string, options: HolderOptions & { now: () => Date }) {
  const source = `ACME certificate for ${ordered.order.domains.join(', ')} from ${ordered.order.directoryUrl} (${folder})`;
  const identity = identityFromPem(ordered.keyPem, ordered.chainPem, source);
  return { identity, active: activate(identity, options), tls: acmeTls(ordered, source, options.now()) };
}

const hasSigningFiles = (signing: Config['signing']) => Boolean(signing.keyFile || signing.certFile || signing.p12File);

export async function openServerIdentity(config: Readonly<Config>, options: ServerIdentityOptions): Promise<ServerIdentity> {
  const { logger, cwd } = options;
  const clock = options.clock ?? systemClock;
  const now = () => new Date(clock.now());
  const acme = config.acme;
  const certsDir = resolve(cwd, config.signing.certsDir);
  const challenges = acme ? new AcmeChallenges() : undefined;
  const store = acme ? AcmeStore.in(certsDir) : undefined;
  const issuer = acme ? new AcmeIssuer(acme, store!, challenges!, options.acme) : undefined;
  const holderOptions: HolderOptions & { now: () => Date } = { now, ...(acme && !hasSigningFiles(config.signing) ? { expiryWarningDays: URGENT_DAYS } : {}) };
  let app: RequestListener | undefined;
  let httpsPort = options.port;

  // The plain-HTTP port comes first: the CA checks HTTP-01 there during the first order.
  let plain: Server | undefined;
  if (config.web.httpPort !== undefined) {
    const hosts = acme ? acme.domains : config.autodiscovery.publicHost ? [config.autodiscovery.publicHost] : [];
    plain = createHttpServer(plainHttpHandler({ challenges, hosts, httpsPort: () => httpsPort, app: () => app }));
    await listen(plain, config.web.httpPort, options.host, 'MAILSETUP_HTTP_PORT');
  }

  try {
    let acmeTlsIdentity: CheckedTls | undefined;
    if (acme) {
      const stored = storedAcmeIdentity(config, cwd);
      let why = 'missing' in stored ? stored.missing : undefined;
      if ('identity' in stored) {
        try {
          acmeTlsIdentity = acmeTls(store!.certificate()!, stored.identity.source, now());
        } catch (error) {
          why = `the stored ACME certificate cannot serve: ${(error as Error).message}`;
        }
      }
      if (!acmeTlsIdentity) {
        logger.info({ domains: acme.domains, directory: acme.directoryUrl, reason: why }, 'acme-ordering');
        acmeTlsIdentity = await firstOrder();
      }
    }

    async function firstOrder(): Promise<CheckedTls> {
      // TLS-ALPN-01 is answered on the HTTPS port, which the web app takes over afterwards.
      const alpn = acme!.challenge === 'tls-alpn-01' ? createTlsServer(alpnChallengeOptions(challenges!)) : undefined;
      if (alpn) await listen(alpn, options.port, options.host, 'PORT');
      try {
        const ordered = await issuer!.order();
        const checked = checkOrdered(ordered, store!.folder, holderOptions);
        store!.saveCertificate({ ...ordered, issuedAt: now().toISOString() });
        logger.info({ domains: acme!.domains, validTo: checked.identity.certificate.validTo.toISOString() }, 'acme-certificate-issued');
        return checked.tls;
      } finally {
        await closeServer(alpn);
      }
    }

    const loaded = loadSigningIdentity(config, { cwd, now });
    if (loaded.createdDevelopmentCa) logger.warn({}, `generated a development signing identity; its CA certificate is ${loaded.createdDevelopmentCa}`);
    const holder = new IdentityHolder(activate(loaded.identity, holderOptions), holderOptions);
    for (const finding of loaded.findings) if (finding.severity === 'warning') logger.warn({}, finding.message);

    const tlsChallenges = acme?.challenge === 'tls-alpn-01' ? challenges : undefined;
    const tlsInitial = acmeTlsIdentity ?? (config.web.tls ? tlsFromFiles(config.web.tls, cwd) : undefined);
    const tls = tlsInitial ? new TlsIdentity(tlsInitial, tlsChallenges) : undefined;
    const signsWithAcme = acme !== undefined && !hasSigningFiles(config.signing);

    const renewer =
      acme && tls
        ? new Renewer(
            {
              clock,
              random: options.random ?? Math.random,
              backoff: options.backoff ?? DEFAULT_BACKOFF,
              window: (der) => issuer!.renewalWindow(der),
              status: { read: () => store!.status(), write: (status) => store!.saveStatus(status) },
              log: logger,
              renew: async () => {
                const ordered = await issuer!.order();
                const checked = checkOrdered(ordered, store!.folder, holderOptions);
                store!.saveCertificate({ ...ordered, issuedAt: now().toISOString() });
                tls.use(checked.tls);
                if (signsWithAcme) holder.adopt(checked.active);
                return certificateOf(checked.tls);
              },
            },
            certificateOf(tls.current),
          )
        : undefined;

    const reloadSigning = (reason: string) => {
      try {
        const next = loadSigningIdentity(config, { cwd, now }).identity;
        if (sameIdentity(next, holder.current.identity)) return logger.info({ reason }, 'signing-identity-unchanged');
        const active: ActiveIdentity = holder.replace(next);
        logger.info(
          {
            reason,
            signer: active.identity.certificate.subject,
            fingerprint256: active.identity.certificate.fingerprint256,
            validTo: active.identity.certificate.validTo,
          },
          'signing-identity-rotated',
        );
        for (const finding of active.findings) if (finding.severity === 'warning') logger.warn({}, finding.message);
      } catch (error) {
        logger.error({ reason, error: asMailsetupError(error).message }, 'signing-identity-refused');
      }
    };
    const reloadTls = (reason: string) => {
      try {
        const next = tlsFromFiles(config.web.tls!, cwd);
        if (next.certificate.fingerprint256 === tls!.current.certificate.fingerprint256 && String(next.pem.key) === String(tls!.current.pem.key)) {
          return logger.info({ reason }, 'tls-certificate-unchanged');
        }
        tls!.use(next);
        logger.info(
          { reason, subject: next.certificate.subject, fingerprint256: next.certificate.fingerprint256, validTo: next.certificate.validTo },
          'tls-certificate-rotated',
        );
      } catch (error) {
        logger.error({ reason, error: asMailsetupError(error).message }, 'tls-certificate-refused');
      }
    };
    const reload = (reason: string) => {
      if (hasSigningFiles(config.signing)) reloadSigning(reason);
      if (config.web.tls && tls) reloadTls(reason);
    };

    // Polling the paths (not watching inodes) follows atomic renames and symlink swaps (certbot's
    // live/ links, Kubernetes secrets); a short pause lets a key and certificate land together.
    const watched = [config.signing.keyFile, config.signing.certFile, config.signing.chainFile, config.signing.p12File, config.signing.keyPasswordFile]
      .filter((p): p is string => Boolean(p) && hasSigningFiles(config.signing))
      .concat(config.web.tls ? [config.web.tls.certFile, config.web.tls.keyFile] : [])
      .map((p) => resolve(cwd, p));
    let pending: NodeJS.Timeout | undefined;
    const changed = () => {
      clearTimeout(pending);
      pending = setTimeout(() => reload('file-changed'), 200).unref();
    };

    return {
      holder,
      signer: holder.signer,
      tls,
      plain,
      renewer,
      start(listener, port) {
        app = listener;
        httpsPort = port;
        if (config.signing.pollMs > 0) for (const path of watched) watchFile(path, { interval: config.signing.pollMs, persistent: false }, changed);
        // Not awaited: asking the CA for its renewal window must not hold up serving.
        void renewer?.start();
        return Promise.resolve();
      },
      reload,
      async close() {
        renewer?.stop();
        clearTimeout(pending);
        for (const path of watched) unwatchFile(path, changed);
        await closeServer(plain);
      },
    };
  } catch (error) {
    await closeServer(plain);
    throw error;
  }
}
