// Short-lived signed links for QR codes: the request (never a password) and an expiry, signed with
// HMAC-SHA256. Nothing is stored on the server; a token is valid wherever the same key is used.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { webError } from './web-error.js';

export interface LinkTokens<T extends object> {
  issue(payload: T): { token: string; expiresAt: number };
  /** The payload, or a NOT_FOUND error when the token is forged, damaged or expired. */
  verify(token: string): T;
}

export function linkTokens<T extends object>(options: { secret: string | undefined; ttlMs: number; now: () => number }): LinkTokens<T> {
  const key = options.secret ? Buffer.from(options.secret, 'utf8') : randomBytes(32);
  const mac = (body: string) => createHmac('sha256', key).update(body).digest();
  const invalid = (rule: string) => webError('NOT_FOUND', 'token', rule);
  return {
    issue(payload) {
      const expiresAt = options.now() + options.ttlMs;
      const body = Buffer.from(JSON.stringify({ p: payload, e: Math.floor(expiresAt / 1000) }), 'utf8').toString('base64url');
      return { token: `${body}.${mac(body).toString('base64url')}`, expiresAt };
    },
    verify(token) {
      const [body = '', signature = '', extra] = token.split('.');
      if (extra !== undefined || !/^[\w-]+$/.test(body) || !/^[\w-]+$/.test(signature)) throw invalid('link-format');
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('link-signature');
      let decoded: { p?: unknown; e?: unknown };
      try {
        decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof decoded;
      } catch {
        throw invalid('link-format');
      }
      if (typeof decoded.e !== 'number' || decoded.e * 1000 <= options.now()) throw invalid('link-expired');
      if (decoded.p === null || typeof decoded.p !== 'object') throw invalid('link-format');
      return decoded.p as T;
    },
  };
}
