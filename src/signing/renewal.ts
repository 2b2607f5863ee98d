// When to renew a certificate: at two thirds of its lifetime with jitter, or inside the window a
// CA suggests through ACME Renewal Information (RFC 9773), and how long to wait after a failure.
import { child, contextTag, decodeOid, readDer, TAG } from './der.js';

export interface Validity {
  /** Milliseconds since the epoch. */
  notBefore: number;
  notAfter: number;
}

/** A CA's suggested renewal window (RFC 9773 §4.2), in milliseconds since the epoch. */
export interface RenewalWindow {
  start: number;
  end: number;
}

export interface Backoff {
  /** Wait after the first failure; doubled after each further one. */
  baseMs: number;
  /** Longest wait between attempts. */
  maxMs: number;
}

/** Ten minutes, doubling to six hours: a CA's failed-validation limits (5 an hour at Let's Encrypt) stay far away. */
export const DEFAULT_BACKOFF: Backoff = { baseMs: 10 * 60_000, maxMs: 6 * 3600_000 };

/** Renewal failures are logged as errors, not warnings, once fewer days than this remain. */
export const URGENT_DAYS = 7;

/** Timers never wait longer than this: the schedule is looked at again at least daily. */
export const MAX_TIMER_MS = 24 * 3600_000;

/**
 * When to renew. With a CA window: a random moment inside it (RFC 9773 §4.2). Without: two thirds
 * of the lifetime, moved earlier by up to a thirtieth of it, so that many servers given their
 * certificates at the same moment do not all come back to the CA at the same moment.
 */
export function renewalTime(validity: Validity, random: () => number, window?: RenewalWindow): number {
  if (window && window.end > window.start) return window.start + Math.floor(random() * (window.end - window.start));
  const lifetime = validity.notAfter - validity.notBefore;
  return validity.notBefore + Math.floor((lifetime * 2) / 3 - random() * (lifetime / 30));
}

/**
 * The wait before attempt `failures + 1`: doubling from `baseMs` up to `maxMs`, and never more
 * than a twentieth of the certificate's lifetime (short-lived certificates leave little time),
 * with ±10 % jitter.
 */
export function retryDelay(failures: number, lifetimeMs: number, backoff: Backoff, random: () => number): number {
  const doubled = backoff.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  const capped = Math.min(doubled, backoff.maxMs, Math.max(lifetimeMs / 20, 1000));
  return Math.round(capped * (0.9 + 0.2 * random()));
}

const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
const base64url = (data: Buffer) => data.toString('base64url');

/**
 * The certificate identifier ARI asks about (RFC 9773 §4.1): the authority key identifier's
 * keyIdentifier and the DER serial number's bytes, each base64url-encoded, joined by a dot.
 * Undefined when the certificate names no authority key identifier.
 */
export function ariCertificateId(certificateDer: Buffer): string | undefined {
  const tbs = child(readDer(certificateDer), 0, TAG.SEQUENCE);
  const fields = tbs.children[0]?.tag === contextTag(0) ? tbs.children.slice(1) : tbs.children;
  const serial = fields[0];
  const extensions = fields.find((node) => node.tag === contextTag(3));
  if (!serial || !extensions) return undefined;
  for (const extension of child(extensions, 0, TAG.SEQUENCE).children) {
    if (decodeOid(child(extension, 0, TAG.OID)) !== OID_AUTHORITY_KEY_IDENTIFIER) continue;
    const value = readDer(extension.children[extension.children.length - 1]!.content);
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … }
    const keyIdentifier = value.children.find((node) => node.tag === 0x80);
    return keyIdentifier ? `${base64url(keyIdentifier.content)}.${base64url(serial.content)}` : undefined;
  }
  return undefined;
}

/** Reads an ARI response body; undefined unless it holds a well-formed window. */
export function parseRenewalWindow(body: unknown): RenewalWindow | undefined {
  const window = (body as { suggestedWindow?: { start?: unknown; end?: unknown } } | undefined)?.suggestedWindow;
  if (!window || typeof window.start !== 'string' || typeof window.end !== 'string') return undefined;
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  return Number.isFinite(start) && Number.isFinite(end) && end > start ? { start, end } : undefined;
}
