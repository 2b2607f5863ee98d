// X.509 certificate details (RFC 5280) that node:crypto's X509Certificate does not expose:
// signature algorithm, key usage bits, the raw issuer and serial a CMS signer identifier needs.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { child, contextTag, decodeOid, readDer, sequence, TAG, type DerNode } from './der.js';

const SIGNATURE_ALGORITHMS: Record<string, { name: string; weak: boolean }> = {
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', weak: false },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', weak: false },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', weak: true },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', weak: false },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', weak: false },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', weak: false },
  '1.3.101.112': { name: 'Ed25519', weak: false },
};

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

const OID_KEY_USAGE = '2.5.29.15';

export interface CertificateInfo {
  der: Buffer;
  x509: X509Certificate;
  /** One line, most significant part last as OpenSSL prints it: "C=SE, O=Example, CN=Mail". */
  subject: string;
  issuer: string;
  commonName: string | undefined;
  validFrom: Date;
  validTo: Date;
  serialNumber: string;
  fingerprint256: string;
  signatureAlgorithm: string;
  /** MD5 or SHA-1 signature: refused or distrusted by current devices. */
  weakSignature: boolean;
  /** Absent when the certificate has no key usage extension (then any use is allowed). */
  keyUsage: ReadonlySet<KeyUsage> | undefined;
  /** Extended key usage OIDs; absent when unrestricted. */
  extendedKeyUsage: readonly string[] | undefined;
  isCA: boolean;
  selfSigned: boolean;
  /** "RSA 2048", "EC P-256". */
  keyDescription: string;
  /** DER IssuerAndSerialNumber (RFC 5652 §10.2.4), the CMS signer identifier. */
  issuerAndSerialNumber: Buffer;
}

/** A name as node:crypto prints it (one part a line) on one line, as `subject` and `issuer` hold it. */
export const oneLine = (name: string) => name.split('\n').filter(Boolean).join(', ');

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return `RSA ${details.modulusLength ?? '?'}`;
    case 'ec':
      return `EC ${{ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[details.namedCurve ?? ''] ?? details.namedCurve ?? '?'}`;
    default:
      return (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  }
}

function keyUsageOf(extensions: DerNode | undefined): Set<KeyUsage> | undefined {
  if (!extensions) return undefined;
  for (const extension of child(extensions, 0, TAG.SEQUENCE).children) {
    if (decodeOid(child(extension, 0, TAG.OID)) !== OID_KEY_USAGE) continue;
    const value = readDer(extension.children[extension.children.length - 1]!.content);
    const bits = value.content.subarray(1);
    const usages = new Set<KeyUsage>();
    KEY_USAGE_BITS.forEach((name, index) => {
      if ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) usages.add(name);
    });
    return usages;
  }
  return undefined;
}

export function certificateInfo(input: X509Certificate | Buffer): CertificateInfo {
  const x509 = input instanceof X509Certificate ? input : new X509Certificate(input);
  const der = x509.raw;
  const root = readDer(der);
  const tbs = child(root, 0, TAG.SEQUENCE);
  const fields = tbs.children[0]?.tag === contextTag(0) ? tbs.children.slice(1) : tbs.children;
  const serial = fields[0]!;
  const issuer = fields[2]!;
  const extensions = fields.find((node) => node.tag === contextTag(3));
  const algorithm = decodeOid(child(child(root, 1, TAG.SEQUENCE), 0, TAG.OID));
  const known = SIGNATURE_ALGORITHMS[algorithm];
  const selfSigned = x509.subject === x509.issuer && x509.verify(x509.publicKey);
  const commonName = /(?:^|\n)CN=([^\n]*)/.exec(x509.subject)?.[1];
  return {
    der,
    x509,
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    commonName,
    validFrom: new Date(x509.validFrom),
    validTo: new Date(x509.validTo),
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
    signatureAlgorithm: known?.name ?? algorithm,
    weakSignature: known?.weak ?? false,
    keyUsage: keyUsageOf(extensions),
    extendedKeyUsage: x509.keyUsage,
    isCA: x509.ca,
    selfSigned,
    keyDescription: describeKey(x509.publicKey),
    issuerAndSerialNumber: sequence(issuer.bytes, serial.bytes),
  };
}

/** Whether `issuer` issued `subject`: names match and the signature verifies with its key. */
export function issued(issuer: CertificateInfo, subject: CertificateInfo): boolean {
  return subject.x509.checkIssued(issuer.x509) && subject.x509.verify(issuer.x509.publicKey);
}

export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Every certificate in a PEM text, in order. */
export function certificatesFromPem(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}
