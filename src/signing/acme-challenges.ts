// What this server answers while a CA checks that it controls a name: HTTP-01 key
// authorizations by token (RFC 8555 §8.3) and TLS-ALPN-01 certificates by name (RFC 8737 §3).
import { createSecureContext, type SecureContext } from 'node:tls';

export const HTTP_CHALLENGE_PATH = '/.well-known/acme-challenge/';
/** The ALPN protocol a TLS-ALPN-01 validation asks for (RFC 8737 §6.2). */
export const ACME_TLS_PROTOCOL = 'acme-tls/1';

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export class AcmeChallenges {
  readonly #http = new Map<string, string>();
  readonly #alpn = new Map<string, SecureContext>();

  addHttp(token: string, keyAuthorization: string): void {
    this.#http.set(token, keyAuthorization);
  }

  removeHttp(token: string): void {
    this.#http.delete(token);
  }

  /** The key authorization for a request path, or undefined when it is not a pending challenge. */
  httpAnswer(path: string): string | undefined {
    if (!path.startsWith(HTTP_CHALLENGE_PATH)) return undefined;
    const token = path.slice(HTTP_CHALLENGE_PATH.length);
    return TOKEN.test(token) ? this.#http.get(token) : undefined;
  }

  addAlpn(domain: string, pem: { key: string | Buffer; cert: string | Buffer }): void {
    this.#alpn.set(domain.toLowerCase(), createSecureContext({ key: pem.key, cert: pem.cert }));
  }

  removeAlpn(domain: string): void {
    this.#alpn.delete(domain.toLowerCase());
  }

  alpnContext(servername: string): SecureContext | undefined {
    return this.#alpn.get(servername.toLowerCase());
  }
}
