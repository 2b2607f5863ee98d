// Trusted CA certificates in provider files (`trust:`): PEM files or PEM text, parsed and checked
// when the catalog loads (X.509 via node:crypto), so a broken one stops the start, not an install.
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { MailsetupError, type Rule } from '../errors.js';
import type { TrustedCertificate } from '../model/trust.js';

export interface TrustLoadOptions {
  /** The provider file, for messages; PEM file names are relative to its folder. */
  source: string;
  baseDir: string;
  /** The field in the provider file (`nstu.trust[0]`), for messages. */
  field: string;
  now: Date;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

function invalid(options: TrustLoadOptions, rule: Rule, message: string): MailsetupError {
  return new MailsetupError('CATALOG_INVALID', `${options.source}: ${options.field}: ${message}`, { field: options.field, rule });
}

/** The DER certificates one entry holds: every PEM block of the text or file, or a binary DER file. */
function derBlocks(entry: string, options: TrustLoadOptions): Buffer[] {
  let bytes: Buffer;
  if (entry.includes('-----BEGIN')) bytes = Buffer.from(entry, 'utf8');
  else {
    const path = isAbsolute(entry) ? entry : join(options.baseDir, entry);
    try {
      bytes = readFileSync(path);
    } catch {
      throw invalid(options, 'certificate-file', `cannot read the certificate file ${entry}`);
    }
  }
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN')) return [bytes];
  const blocks = [...text.matchAll(PEM_BLOCK)].map((match) => Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0) throw invalid(options, 'certificate', `${entry.includes('-----BEGIN') ? 'the PEM text' : entry} holds no CERTIFICATE block`);
  return blocks;
}

function commonName(subject: string): string | undefined {
  return /(?:^|\n)CN=([^\n]+)/.exec(subject)?.[1]?.trim();
}

/** One parsed, checked certificate: it must parse, be valid now, and be a CA (basicConstraints CA:TRUE). */
function checked(der: Buffer, options: TrustLoadOptions): TrustedCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    throw invalid(options, 'certificate', 'is not an X.509 certificate');
  }
  const label = commonName(cert.subject) ?? cert.subject.replace(/\n/g, ', ');
  if (new Date(cert.validTo) < options.now) throw invalid(options, 'certificate-expired', `${label} expired on ${cert.validTo}`);
  if (new Date(cert.validFrom) > options.now) throw invalid(options, 'certificate-not-yet-valid', `${label} is not valid before ${cert.validFrom}`);
  if (!cert.ca)
    throw invalid(options, 'certificate-ca', `${label} is not a CA certificate (basicConstraints CA:TRUE); only root and intermediate CAs belong under trust`);
  const sha256 = createHash('sha256').update(der).digest('hex').toUpperCase();
  const root = cert.subject === cert.issuer && cert.verify(cert.publicKey);
  return {
    name: (commonName(cert.subject) ?? sha256.slice(0, 16)).replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[-.]+|-+$/g, '') || sha256.slice(0, 16),
    subject: cert.subject.replace(/\n/g, ', '),
    root,
    sha256,
    der: der.toString('base64'),
    validTo: new Date(cert.validTo).toISOString(),
  };
}

/** Every certificate the entries name, checked, in order, without repeats. */
export function loadTrust(entries: readonly string[], options: Omit<TrustLoadOptions, 'field'> & { field: string }): TrustedCertificate[] {
  const out: TrustedCertificate[] = [];
  entries.forEach((entry, index) => {
    const at = { ...options, field: `${options.field}[${index}]` };
    for (const der of derBlocks(entry, at)) {
      const certificate = checked(der, at);
      if (!out.some((c) => c.sha256 === certificate.sha256)) out.push(certificate);
    }
  });
  return out;
}
