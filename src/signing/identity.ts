// A signing identity: private key, signer certificate and the chain above it, loaded from PEM
// files (Let's Encrypt's privkey.pem + fullchain.pem work as they are, encrypted keys with their
// passphrase) or a PKCS #12 file.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MailsetupError, type Rule } from '../errors.js';
import { readPkcs12, Pkcs12Error } from './pkcs12.js';
import { certificateInfo, certificatesFromPem, issued, type CertificateInfo } from './x509.js';

export interface SigningIdentity {
  key: KeyObject;
  /** The certificate whose public key matches the private key (or the first one, if none does). */
  certificate: CertificateInfo;
  /** Issuers above the signer, nearest first, that go into every signature. */
  intermediates: CertificateInfo[];
  /** The self-signed root at the top of the chain, when the files include it (never embedded). */
  root: CertificateInfo | undefined;
  /** Certificates in the files that are not part of the signer's chain. */
  unrelated: CertificateInfo[];
  /** Where it came from, for messages: file paths, never secrets. */
  source: string;
  /** The generated development identity that devices show as "Not Verified". */
  development: boolean;
}

/** Paths of a configured identity and the names (env variable or flag) people set them with. */
export interface IdentityFiles {
  key?: string | undefined;
  cert?: string | undefined;
  chain?: string | undefined;
  p12?: string | undefined;
  p12Password?: string | undefined;
  /** The passphrase of an encrypted PEM or DER key. */
  keyPassword?: string | undefined;
  /** How each setting is called where the user set it, for error messages. */
  names: { key: string; cert: string; chain: string; p12: string; p12Password: string; keyPassword: string };
}

const fail = (field: string, rule: Rule, message: string) => new MailsetupError('SIGNING_FAILED', message, { field, rule });

function readFile(path: string, name: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder, not a file'
            : `cannot be read (${code ?? 'error'})`;
    throw fail(name, 'file-readable', `the ${what} file ${path} ${why}`);
  }
}

function parseCertificates(data: Buffer, path: string, name: string): X509Certificate[] {
  const text = data.toString('latin1');
  try {
    if (text.includes('-----BEGIN')) {
      const certificates = certificatesFromPem(text);
      if (certificates.length === 0) throw new Error('no CERTIFICATE block');
      return certificates;
    }
    return [new X509Certificate(data)];
  } catch {
    throw fail(name, 'certificate-format', `${path} holds no readable certificate (PEM "BEGIN CERTIFICATE" blocks or one DER certificate expected)`);
  }
}

/** The passphrase of an encrypted key, and how people set it (for messages). */
export interface KeyPassword {
  value: string | undefined;
  name: string;
}

const isEncryptedPem = (text: string) => /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED/.test(text);

function parseKey(data: Buffer, path: string, name: string, password: KeyPassword): KeyObject {
  const text = data.toString('latin1');
  const passphrase = password.value === undefined ? {} : { passphrase: password.value };
  try {
    if (text.includes('-----BEGIN')) return createPrivateKey({ key: text, format: 'pem', ...passphrase });
    return createPrivateKey({ key: data, format: 'der', type: 'pkcs8', ...passphrase });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const encrypted = isEncryptedPem(text) || code === 'ERR_MISSING_PASSPHRASE' || (password.value !== undefined && code === 'ERR_OSSL_BAD_DECRYPT');
    if (encrypted && password.value === undefined) {
      throw fail(password.name, 'passphrase', `${name}: the private key in ${path} is encrypted: set ${password.name} to its passphrase`);
    }
    // A wrong passphrase usually fails the padding check; now and then it decrypts to garbage.
    if (encrypted) throw fail(password.name, 'passphrase', `${name}: ${path}: the passphrase is wrong (${password.name})`);
    throw fail(name, 'key-format', `${path} holds no readable private key (PEM PKCS #8, PKCS #1 or SEC 1 expected)`);
  }
}

/**
 * Orders certificates into the signer's chain: the one matching the key, then each issuer found
 * among the rest, up to a self-signed root or the last issuer available.
 */
export function assembleIdentity(key: KeyObject, certificates: readonly X509Certificate[], source: string, development = false): SigningIdentity {
  const seen = new Set<string>();
  const all = certificates.map((c) => certificateInfo(c)).filter((c) => !seen.has(c.fingerprint256) && seen.add(c.fingerprint256));
  const signer = all.find((c) => c.x509.checkPrivateKey(key)) ?? all[0];
  if (!signer) throw fail('certificate', 'required', 'the signing identity holds no certificate');
  const chain: CertificateInfo[] = [];
  let current = signer;
  let root: CertificateInfo | undefined;
  const used = new Set([signer.fingerprint256]);
  while (!current.selfSigned) {
    const parent = all.find((c) => !used.has(c.fingerprint256) && issued(c, current));
    if (!parent) break;
    used.add(parent.fingerprint256);
    if (parent.selfSigned) root = parent;
    else chain.push(parent);
    current = parent;
  }
  return { key, certificate: signer, intermediates: chain, root, unrelated: all.filter((c) => !used.has(c.fingerprint256)), source, development };
}

/** Identity from PEM (or DER) files: a key, a certificate file that may hold the chain, an optional chain file. */
export function loadPemIdentity(files: IdentityFiles): SigningIdentity {
  const { names } = files;
  if (!files.cert) throw fail(names.cert, 'required', `a signing key needs its certificate (${names.cert})`);
  if (!files.key) throw fail(names.key, 'required', `a signing certificate needs its private key (${names.key})`);
  const key = parseKey(readFile(files.key, names.key, 'private key'), files.key, names.key, { value: files.keyPassword, name: names.keyPassword });
  const certificates = parseCertificates(readFile(files.cert, names.cert, 'certificate'), files.cert, names.cert);
  if (files.chain) certificates.push(...parseCertificates(readFile(files.chain, names.chain, 'chain'), files.chain, names.chain));
  const source = [files.key, files.cert, files.chain].filter(Boolean).join(', ');
  return assembleIdentity(key, certificates, source);
}

/** Identity from a PKCS #12 (.p12/.pfx) file; certificates from a chain file are added. */
function loadP12Identity(files: IdentityFiles): SigningIdentity {
  const { names } = files;
  const path = files.p12!;
  if (files.key || files.cert) throw fail(names.p12, 'one-source', 'give either a PKCS #12 file or a key and certificate, not both');
  const data = readFile(path, names.p12, 'PKCS #12');
  let contents;
  try {
    contents = readPkcs12(data, files.p12Password ?? '');
  } catch (error) {
    if (!(error instanceof Pkcs12Error)) throw error;
    if (error.reason === 'wrong-password') {
      const hint = files.p12Password === undefined ? ` (no passphrase was given: set ${names.p12Password})` : ` (${names.p12Password})`;
      throw fail(names.p12Password, 'passphrase', `${names.p12}: ${path}: ${error.message}${hint}`);
    }
    throw fail(names.p12, error.reason, `${path}: ${error.message}`);
  }
  const certificates = contents.certificates.map((der) => new X509Certificate(der));
  if (certificates.length === 0) throw fail(names.p12, 'certificate-required', `${path} holds a key but no certificate`);
  if (files.chain) certificates.push(...parseCertificates(readFile(files.chain, names.chain, 'chain'), files.chain, names.chain));
  return assembleIdentity(contents.key, certificates, [path, files.chain].filter(Boolean).join(', '));
}

/** Identity from PEM text already in memory (an ACME certificate): a key and the certificate chain. */
export function identityFromPem(keyPem: string, chainPem: string, source: string): SigningIdentity {
  return assembleIdentity(createPrivateKey(keyPem), certificatesFromPem(chainPem), source);
}

export function loadConfiguredIdentity(files: IdentityFiles): SigningIdentity | undefined {
  if (files.p12) return loadP12Identity(files);
  if (files.key || files.cert) return loadPemIdentity(files);
  if (files.chain) throw fail(files.names.chain, 'requires-identity', 'a chain file needs a key and certificate or a PKCS #12 file');
  return undefined;
}
