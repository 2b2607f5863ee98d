// The HTTPS server's certificate: checked, then swapped in for new connections when it is
// renewed or replaced (connections already open keep theirs), plus the TLS-ALPN-01 answer a CA
// asks for on the same port (RFC 8737): a connection offering only "acme-tls/1" gets the
// challenge certificate for its server name.
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { MailsetupError } from '../errors.js';
import { ACME_TLS_PROTOCOL, type AcmeChallenges } from './acme-challenges.js';

export interface TlsPem {
  key: string | Buffer;
  /** The certificate followed by its intermediates. */
  cert: string | Buffer;
  /** Where it came from, for messages. */
  source: string;
}

export interface CheckedTls {
  pem: TlsPem;
  certificate: X509Certificate;
}

/** Refuses a key and certificate that cannot serve HTTPS: unreadable, not a pair, or not valid now. */
export function checkTls(pem: TlsPem, now: Date = new Date(), field = 'MAILSETUP_TLS_CERT'): CheckedTls {
  let certificate: X509Certificate;
  try {
    createSecureContext({ key: pem.key, cert: pem.cert });
    certificate = new X509Certificate(pem.cert);
  } catch (error) {
    const why = /key values mismatch/i.test((error as Error).message) ? 'the key does not belong to the certificate' : (error as Error).message;
    throw new MailsetupError('CONFIG_INVALID', `cannot serve HTTPS with ${pem.source}: ${why}`, { field, rule: 'tls-identity', cause: error });
  }
  if (now.getTime() > Date.parse(certificate.validTo) || now.getTime() < Date.parse(certificate.validFrom)) {
    throw new MailsetupError(
      'CONFIG_INVALID',
      `cannot serve HTTPS with ${pem.source}: the certificate is valid only from ${certificate.validFrom} to ${certificate.validTo}`,
      {
        field,
        rule: 'tls-validity',
      },
    );
  }
  return { pem, certificate };
}

/**
 * ALPNCallback and SNICallback that hand the challenge certificate to a CA's TLS-ALPN-01 check.
 * OpenSSL settles ALPN before it asks for the certificate in TLS 1.3 (which CAs use), both
 * within one handshake step, so the name noted here is the one whose certificate is asked next.
 */
export function alpnChallengeOptions(challenges: AcmeChallenges): Pick<TlsOptions, 'ALPNCallback' | 'SNICallback'> {
  let challenged: string | undefined;
  return {
    ALPNCallback: ({ servername, protocols }) => {
      if (servername && protocols.includes(ACME_TLS_PROTOCOL) && challenges.alpnContext(servername)) {
        challenged = servername;
        setImmediate(() => (challenged = undefined));
        return ACME_TLS_PROTOCOL;
      }
      // What the server would pick without a callback; anything else could not speak HTTP/1.1 anyway.
      return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
    },
    SNICallback: (servername, callback) => {
      const context: SecureContext | undefined = challenged === servername ? challenges.alpnContext(servername) : undefined;
      challenged = undefined;
      // Undefined: the server's own context, which setSecureContext keeps current.
      callback(null, context);
    },
  };
}

export class TlsIdentity {
  #current: CheckedTls;
  readonly #servers = new Set<TlsServer>();
  readonly #challenges: AcmeChallenges | undefined;

  /** `challenges`: answer TLS-ALPN-01 checks on this port. */
  constructor(initial: CheckedTls, challenges?: AcmeChallenges) {
    this.#current = initial;
    this.#challenges = challenges;
  }

  get current(): CheckedTls {
    return this.#current;
  }

  /** Options for https.createServer; attach the server afterwards so it follows replacements. */
  serverOptions(): TlsOptions {
    return { key: this.#current.pem.key, cert: this.#current.pem.cert, ...(this.#challenges ? alpnChallengeOptions(this.#challenges) : {}) };
  }

  /** Makes `server` follow replacements; returns it. */
  attach<S extends TlsServer>(server: S): S {
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
    return server;
  }

  /** New connections get `next`; it was checked with checkTls. */
  use(next: CheckedTls): void {
    this.#current = next;
    for (const server of this.#servers) server.setSecureContext({ key: next.pem.key, cert: next.pem.cert });
  }
}
