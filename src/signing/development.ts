// The development identity: a private CA (RFC 5280 certificates built here) and a signing
// certificate under it, generated on first use when no real identity is configured.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MailsetupError } from '../errors.js';
import { boolean, encode, explicit, integer, nullValue, octetString, oid, sequence, set, TAG, time, unsignedInteger, utf8String, bitString } from './der.js';
import { assembleIdentity, type SigningIdentity } from './identity.js';
import { toPem } from './x509.js';

const DEVELOPMENT_FOLDER = 'development';
export const DEVELOPMENT_FILES = { ca: 'ca.pem', certificate: 'signing-cert.pem', key: 'signing-key.pem' } as const;
/** Marks certificates as ours, so diagnostics and `inspect` can say so. */
export const DEVELOPMENT_MARK = 'mailsetup development';

const YEAR = 365.25 * 24 * 3600 * 1000;

function name(organization: string, commonName: string): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(rdn('2.5.4.10', organization), rdn('2.5.4.3', commonName));
}

function extension(type: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(type), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** A named-bit BIT STRING with one byte of flags, trailing zero bits dropped as DER requires. */
function flags(byte: number): Buffer {
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return encode(TAG.BIT_STRING, Buffer.from([unused, byte]));
}

interface CertificateSpec {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  issuerKey: KeyObject;
  issuerKeyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
}

const keyId = (key: KeyObject) =>
  createHash('sha1')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();

function buildCertificate(spec: CertificateSpec): X509Certificate {
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), nullValue()); // sha256WithRSAEncryption
  const extensions = [
    extension('2.5.29.19', true, spec.ca ? sequence(boolean(true), integer(0)) : sequence()),
    // CA: keyCertSign + cRLSign; signer: digitalSignature only.
    extension('2.5.29.15', true, flags(spec.ca ? 0x06 : 0x80)),
    extension('2.5.29.14', false, octetString(keyId(spec.publicKey))),
    extension('2.5.29.35', false, sequence(encode(0x80, spec.issuerKeyId))),
    // Signer: S/MIME and code signing, never TLS, so the key cannot impersonate a web site.
    ...(spec.ca ? [] : [extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.4'), oid('1.3.6.1.5.5.7.3.3')))]),
  ];
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = sequence(
    explicit(0, integer(2)),
    unsignedInteger(serial),
    algorithm,
    spec.issuer,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.issuerKey);
  return new X509Certificate(sequence(tbs, algorithm, bitString(signature)));
}

export interface DevelopmentFiles {
  ca: X509Certificate;
  certificate: X509Certificate;
  key: KeyObject;
}

/**
 * A fresh CA and signing certificate. The CA's private key is thrown away once it has signed:
 * a tester who trusts this CA on a device trusts nothing else it could ever sign.
 */
export function generateDevelopmentFiles(organization: string, now: Date = new Date(), signerKey: 'rsa' | 'ec' = 'rsa'): DevelopmentFiles {
  const ca = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = signerKey === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stamp = now.toISOString().slice(0, 10);
  const caName = name(organization, `${DEVELOPMENT_MARK} CA ${stamp}`);
  const notBefore = new Date(now.getTime() - 3600 * 1000);
  const caCert = buildCertificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    issuerKey: ca.privateKey,
    issuerKeyId: keyId(ca.publicKey),
    notBefore,
    notAfter: new Date(now.getTime() + 20 * YEAR),
    ca: true,
  });
  const signerCert = buildCertificate({
    subject: name(organization, `${DEVELOPMENT_MARK} profile signing ${stamp}`),
    issuer: caName,
    publicKey: signer.publicKey,
    issuerKey: ca.privateKey,
    issuerKeyId: keyId(ca.publicKey),
    notBefore,
    notAfter: new Date(now.getTime() + 10 * YEAR),
    ca: false,
  });
  return { ca: caCert, certificate: signerCert, key: signer.privateKey };
}

function readDevelopment(folder: string): SigningIdentity {
  const read = (file: string) => readFileSync(join(folder, file), 'utf8');
  try {
    const key = read(DEVELOPMENT_FILES.key);
    const certificates = [new X509Certificate(read(DEVELOPMENT_FILES.certificate)), new X509Certificate(read(DEVELOPMENT_FILES.ca))];
    return assembleIdentity(createPrivateKey(key), certificates, folder, true);
  } catch (error) {
    throw new MailsetupError(
      'SIGNING_FAILED',
      `the development identity in ${folder} is damaged (${(error as Error).message}); delete the folder and mailsetup makes a new one`,
      { field: 'MAILSETUP_CERTS_DIR', rule: 'identity-readable', cause: error },
    );
  }
}

export interface DevelopmentIdentity {
  identity: SigningIdentity;
  /** True when this call generated it (first use). */
  created: boolean;
  folder: string;
  caPath: string;
}

/**
 * Reads the development identity from `certsDir`, generating it on first use. Several processes
 * or threads may get here at once: each writes a complete identity into a private folder and
 * renames it into place; whoever loses the race throws its copy away and reads the winner's.
 */
export function developmentIdentity(certsDir: string, organization: string, now: Date = new Date()): DevelopmentIdentity {
  const folder = join(certsDir, DEVELOPMENT_FOLDER);
  const caPath = join(folder, DEVELOPMENT_FILES.ca);
  if (existsSync(join(folder, DEVELOPMENT_FILES.key))) return { identity: readDevelopment(folder), created: false, folder, caPath };
  const temporary = join(certsDir, `.${DEVELOPMENT_FOLDER}-${process.pid}-${randomBytes(6).toString('hex')}`);
  let created = false;
  try {
    mkdirSync(temporary, { recursive: true, mode: 0o700 });
    const files = generateDevelopmentFiles(organization, now);
    writeFileSync(join(temporary, DEVELOPMENT_FILES.key), files.key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(temporary, DEVELOPMENT_FILES.certificate), toPem(files.certificate.raw), { mode: 0o644 });
    writeFileSync(join(temporary, DEVELOPMENT_FILES.ca), toPem(files.ca.raw), { mode: 0o644 });
    try {
      renameSync(temporary, folder);
      created = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
    }
  } catch (error) {
    if (error instanceof MailsetupError) throw error;
    throw new MailsetupError(
      'SIGNING_FAILED',
      `cannot create the development signing identity in ${certsDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); set MAILSETUP_CERTS_DIR to a writable folder or configure a signing certificate`,
      { field: 'MAILSETUP_CERTS_DIR', rule: 'writable', cause: error },
    );
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  return { identity: readDevelopment(folder), created, folder, caPath };
}
