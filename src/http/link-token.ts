// Short-lived links for QR codes: the request (never a password) and an expiry, sealed with
// AES-256-GCM under a key derived from the link secret (HKDF-SHA256). A photographed QR code, a
// proxy log or a browser history shows random bytes, not the person's address or name. Nothing
// is stored on the server; a token is valid wherever the same secret is used.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { webError } from './web-error.js';
import type { Rule } from '../errors.js';

export interface LinkTokens<T extends object> {
  issue(payload: T): { token: string; expiresAt: number };
  /** The payload, or a NOT_FOUND error when the token is forged, damaged or expired. */
  verify(token: string): T;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Plaintext is padded to a multiple of this, so a token's length says little about the name in it. */
const PAD_BYTES = 64;
/** Binds every token to this format: a later format gets another label, and old tokens fail cleanly. */
const LABEL = Buffer.from('mailsetup/link-token/v1', 'utf8');
const BASE64URL = /^[\w-]+$/;

/** The AES key: never the secret itself, so the same secret can key other things safely. */
export function linkKey(secret: string | undefined): Buffer {
  const material = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), LABEL, 32));
}

export function linkTokens<T extends object>(options: { secret: string | undefined; ttlMs: number; now: () => number }): LinkTokens<T> {
  const key = linkKey(options.secret);
  const invalid = (rule: Rule) => webError('NOT_FOUND', 'token', rule);
  return {
    issue(payload) {
      const expiresAt = options.now() + options.ttlMs;
      const json = JSON.stringify({ p: payload, e: Math.floor(expiresAt / 1000) });
      const body = Buffer.from(json, 'utf8');
      // JSON allows trailing white space: the padding needs no length field.
      const plain = Buffer.alloc(Math.ceil(body.length / PAD_BYTES) * PAD_BYTES, 0x20);
      body.copy(plain);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES }).setAAD(LABEL);
      const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { token: `${nonce.toString('base64url')}.${sealed.toString('base64url')}`, expiresAt };
    },
    verify(token) {
      const [nonceText = '', sealedText = '', extra] = token.split('.');
      if (extra !== undefined || !BASE64URL.test(nonceText) || !BASE64URL.test(sealedText)) throw invalid('link-format');
      const nonce = Buffer.from(nonceText, 'base64url');
      const sealed = Buffer.from(sealedText, 'base64url');
      // Decoding skips stray trailing characters; only the one spelling of the bytes is the token.
      if (nonce.toString('base64url') !== nonceText || sealed.toString('base64url') !== sealedText) throw invalid('link-format');
      if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES + PAD_BYTES / 2) throw invalid('link-format');
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES }).setAAD(LABEL);
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw invalid('link-signature');
      }
      let decoded: { p?: unknown; e?: unknown };
      try {
        decoded = JSON.parse(plain.toString('utf8')) as typeof decoded;
      } catch {
        throw invalid('link-format');
      }
      if (typeof decoded.e !== 'number' || decoded.e * 1000 <= options.now()) throw invalid('link-expired');
      if (decoded.p === null || typeof decoded.p !== 'object') throw invalid('link-format');
      return decoded.p as T;
    },
  };
}
