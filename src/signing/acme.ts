// Certificates from an ACME CA (RFC 8555) through acme-client, the only module that imports it:
// the account (with External Account Binding where the CA asks for one), orders whose
// challenges this server answers itself (HTTP-01 or TLS-ALPN-01), and ARI windows (RFC 9773).
import acme from 'acme-client';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { AcmeConfig } from '../config.js';
import { MailsetupError } from '../errors.js';
import type { AcmeChallenges } from './acme-challenges.js';
import type { AcmeStore, CertificateOrder } from './acme-store.js';
import { ariCertificateId, parseRenewalWindow, type RenewalWindow } from './renewal.js';

export interface AcmeIssuerOptions {
  /**
   * Retries of one request after a network error or a 5xx/429 answer; acme-client waits 5 s,
   * 10 s, … between them (or what Retry-After says). Default 3.
   */
  retries?: number;
  /** Give up on one request after this long. Default 30 s. */
  timeoutMs?: number;
  /** First wait while the CA validates or issues, doubling up to 30 s. Default 5 s (acme-client's). */
  pollMs?: number;
}

export interface OrderedCertificate {
  keyPem: string;
  /** The certificate followed by the intermediates the CA sent. */
  chainPem: string;
  order: CertificateOrder;
}

export interface WindowAnswer {
  window: RenewalWindow | undefined;
  /** When to ask again (Retry-After), in milliseconds from now. */
  retryAfterMs: number | undefined;
}

const NETWORK_CODES =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|ERR_SOCKET|CERT_|UNABLE_TO|SELF_SIGNED|DEPTH_ZERO|ERR_TLS)/;

function newKey(type: 'ecdsa' | 'rsa'): string {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

const keyTypeOf = (pem: string) => (createPrivateKey(pem).asymmetricKeyType === 'rsa' ? 'rsa' : 'ecdsa');

/**
 * The last connection failure (refused, DNS, TLS) on the way to the CA. acme-client turns a
 * request that failed without an answer into a TypeError once its retries are used up; the
 * socket's own error says what happened.
 */
let lastSocketError: NodeJS.ErrnoException | undefined;

function recording<A extends HttpAgent>(agent: A): A {
  const create = agent.createConnection.bind(agent) as (...args: unknown[]) => Socket;
  agent.createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.once('error', (error: NodeJS.ErrnoException) => (lastSocketError = error));
    return socket;
  };
  return agent;
}

/** Settings of acme-client's one HTTP client: they hold for the whole process. */
function configureHttp(config: AcmeConfig, options: AcmeIssuerOptions): void {
  const defaults = acme.axios.defaults as typeof acme.axios.defaults & { acmeSettings: { retryMaxAttempts: number } };
  defaults.timeout = options.timeoutMs ?? 30_000;
  defaults.acmeSettings.retryMaxAttempts = options.retries ?? 3;
  let extra: string | undefined;
  if (config.caFile) {
    try {
      extra = readFileSync(config.caFile, 'utf8');
    } catch (error) {
      throw new MailsetupError('CONFIG_INVALID', `${config.caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
        field: 'MAILSETUP_ACME_CA_FILE',
        rule: 'file-readable',
        cause: error,
      });
    }
  }
  // Node replaces its public roots with `ca`: keep them, so a public CA's own address still works.
  defaults.httpsAgent = recording(new HttpsAgent({ keepAlive: true, ...(extra ? { ca: [...rootCertificates, extra] } : {}) }));
  defaults.httpAgent = recording(new HttpAgent({ keepAlive: true }));
}

/**
 * A failure of the CA or the way to it, as the error people read: what to check, and where.
 * `socketError`: the connection failure seen during the attempt, if any.
 */
export function acmeFailure(thrown: unknown, config: AcmeConfig, socketError?: NodeJS.ErrnoException): MailsetupError {
  if (thrown instanceof MailsetupError) return thrown;
  // A TypeError is acme-client's own slip after a request that never got an answer.
  const answered = Boolean((thrown as { response?: unknown }).response);
  const unanswered = thrown instanceof TypeError || ((thrown as { isAxiosError?: boolean }).isAxiosError === true && !answered);
  const error = socketError && unanswered && !(thrown as NodeJS.ErrnoException).code ? socketError : thrown;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = ((error as Error).message || String(error)).replace(/\s+/g, ' ').trim();
  if (NETWORK_CODES.test(code)) {
    const tls = /^(CERT_|UNABLE_TO|SELF_SIGNED|DEPTH_ZERO|ERR_TLS)/.test(code);
    return new MailsetupError(
      'ACME_FAILED',
      `cannot reach the ACME server ${config.directoryUrl} (${message})${tls ? '; for a private CA, set MAILSETUP_ACME_CA_FILE to its root certificate' : ''}`,
      { field: 'MAILSETUP_ACME_DIRECTORY', rule: 'reachable', cause: error },
    );
  }
  if (/external ?account/i.test(message)) {
    return new MailsetupError(
      'ACME_FAILED',
      `${config.directoryUrl} refused the account: ${message}; check MAILSETUP_ACME_EAB_KID and MAILSETUP_ACME_EAB_HMAC_KEY`,
      {
        field: 'MAILSETUP_ACME_EAB_KID',
        rule: 'external-account',
        cause: error,
      },
    );
  }
  return new MailsetupError(
    'ACME_FAILED',
    `${config.directoryUrl} did not issue a certificate for ${config.domains.join(', ')}: ${message}; each name must point at this server, reachable on port ${config.challenge === 'http-01' ? '80 (MAILSETUP_HTTP_PORT)' : '443 (PORT)'}`,
    { field: 'MAILSETUP_ACME_DOMAINS', rule: 'issuance', cause: error },
  );
}

export class AcmeIssuer {
  readonly #config: AcmeConfig;
  readonly #store: AcmeStore;
  readonly #challenges: AcmeChallenges;
  readonly #pollMs: number;

  constructor(config: AcmeConfig, store: AcmeStore, challenges: AcmeChallenges, options: AcmeIssuerOptions = {}) {
    this.#config = config;
    this.#store = store;
    this.#challenges = challenges;
    this.#pollMs = options.pollMs ?? 5000;
    configureHttp(config, options);
  }

  get wanted(): CertificateOrder {
    return { directoryUrl: this.#config.directoryUrl, domains: [...this.#config.domains], keyType: this.#config.keyType };
  }

  /** Orders a certificate and waits for it; stores the account, not the certificate (the caller checks it first). */
  async order(): Promise<OrderedCertificate> {
    const config = this.#config;
    lastSocketError = undefined;
    try {
      let accountKey = this.#store.accountKey();
      if (!accountKey) {
        accountKey = newKey('ecdsa');
        this.#store.saveAccountKey(accountKey);
      }
      const accountUrl = this.#store.accountUrl(config.directoryUrl);
      const client = new acme.Client({
        directoryUrl: config.directoryUrl,
        accountKey,
        backoffMin: this.#pollMs,
        ...(accountUrl ? { accountUrl } : {}),
        ...(config.externalAccountBinding ? { externalAccountBinding: config.externalAccountBinding } : {}),
      });
      // The key stays across renewals: the signer a device saw last time stays the same key.
      const stored = this.#store.certificateKey();
      const keyPem = stored && keyTypeOf(stored) === config.keyType ? stored : newKey(config.keyType);
      const [, csr] = await acme.crypto.createCsr({ commonName: config.domains[0], altNames: [...config.domains] }, keyPem);
      const chainPem = await client.auto({
        csr,
        ...(config.email ? { email: config.email } : {}),
        termsOfServiceAgreed: true,
        challengePriority: [config.challenge],
        // acme-client's own check fetches http://name/ from here: behind NAT that fails where the CA succeeds.
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
          const name = authz.identifier.value;
          // acme-client's types predate TLS-ALPN-01 (RFC 8737); its code knows it.
          const type = challenge.type as string;
          if (challenge.type === 'http-01') this.#challenges.addHttp(challenge.token, keyAuthorization);
          else if (type === 'tls-alpn-01') {
            const [key, cert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
            this.#challenges.addAlpn(name, { key, cert });
          } else {
            const offered = authz.challenges.map((c) => c.type).join(', ');
            throw new Error(`the CA offers no ${config.challenge} challenge for ${name} (only ${offered}); set MAILSETUP_ACME_CHALLENGE to one of them`);
          }
        },
        challengeRemoveFn: (authz, challenge) => {
          if (challenge.type === 'http-01') this.#challenges.removeHttp(challenge.token);
          else this.#challenges.removeAlpn(authz.identifier.value);
          return Promise.resolve();
        },
      });
      if (!accountUrl) this.#store.saveAccountUrl(config.directoryUrl, client.getAccountUrl());
      return { keyPem, chainPem, order: this.wanted };
    } catch (error) {
      throw acmeFailure(error, config, lastSocketError);
    }
  }

  /** The CA's suggested renewal window for a certificate, when the CA offers ARI; errors count as "no window". */
  async renewalWindow(certificateDer: Buffer): Promise<WindowAnswer | undefined> {
    const id = ariCertificateId(certificateDer);
    if (!id) return undefined;
    try {
      const directory = await acme.axios.get<{ renewalInfo?: string }>(this.#config.directoryUrl);
      const base = directory.data?.renewalInfo;
      if (typeof base !== 'string') return undefined;
      const answer = await acme.axios.get(`${base.replace(/\/$/, '')}/${id}`);
      const retryAfter = Number(answer.headers['retry-after']);
      return { window: parseRenewalWindow(answer.data), retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined };
    } catch {
      return undefined;
    }
  }
}
