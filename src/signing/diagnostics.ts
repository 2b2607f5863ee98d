// Checks of a signing identity before it signs anything: key match, validity, chain, key usage,
// weak signatures. Errors stop signing; warnings are printed at start-up and by `mailsetup identity`.
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { MailsetupError, type Rule } from '../errors.js';
import type { SigningIdentity } from './identity.js';
import { certificateInfo, issued, oneLine, type CertificateInfo } from './x509.js';

export type Severity = 'error' | 'warning' | 'info';

/** An error finding refuses the identity, so its code is the rule the refusal names. */
export type Finding =
  | { severity: 'error'; code: Rule; message: string }
  | {
      severity: 'warning' | 'info';
      /** Stable, for scripts and tests: `expiring-soon`, `chain-incomplete`, … */
      code: string;
      message: string;
    };

export interface DiagnoseOptions {
  now?: Date;
  /** Warn when the signer expires within this many days. */
  expiryWarningDays?: number;
}

const DAY = 24 * 3600 * 1000;
const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

let wellKnownRoots: Map<string, X509Certificate[]> | undefined;

/**
 * The public roots Node ships (Mozilla's list), by subject: a chain ending under one needs no more
 * certificates. Only the roots whose subject names the issuer get the full (costlier) reading.
 */
function publicRootsBySubject(): Map<string, X509Certificate[]> {
  if (wellKnownRoots) return wellKnownRoots;
  wellKnownRoots = new Map();
  for (const pem of rootCertificates) {
    try {
      const root = new X509Certificate(pem);
      const subject = oneLine(root.subject);
      wellKnownRoots.set(subject, [...(wellKnownRoots.get(subject) ?? []), root]);
    } catch {
      // A root Node ships but cannot parse cannot vouch for anything.
    }
  }
  return wellKnownRoots;
}

export function publicRootFor(certificate: CertificateInfo): CertificateInfo | undefined {
  for (const root of publicRootsBySubject().get(certificate.issuer) ?? []) {
    const info = certificateInfo(root);
    if (issued(info, certificate)) return info;
  }
  return undefined;
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const label = (c: CertificateInfo) => `"${c.subject}"`;

function keyFindings(identity: SigningIdentity): Finding[] {
  const { key } = identity;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048)
      return [{ severity: 'error', code: 'key-too-weak', message: `the RSA key has ${details.modulusLength} bits; devices need at least 2048` }];
    return [];
  }
  if (key.asymmetricKeyType === 'ec') {
    if (!SUPPORTED_CURVES.has(details.namedCurve ?? ''))
      return [{ severity: 'error', code: 'key-unsupported', message: `the EC key uses curve ${details.namedCurve}; use P-256 or P-384` }];
    return [];
  }
  return [
    {
      severity: 'error',
      code: 'key-unsupported',
      message: `the key type ${key.asymmetricKeyType} cannot sign Apple profiles; use RSA (2048 bits or more) or EC P-256/P-384`,
    },
  ];
}

/** Everything worth telling about an identity, most serious first. */
export function diagnoseIdentity(identity: SigningIdentity, options: DiagnoseOptions = {}): Finding[] {
  const now = options.now ?? new Date();
  const warnDays = options.expiryWarningDays ?? 30;
  const signer = identity.certificate;
  const findings: Finding[] = [];

  if (!signer.x509.checkPrivateKey(identity.key)) {
    findings.push({
      severity: 'error',
      code: 'key-mismatch',
      message: `the private key does not belong to the certificate ${label(signer)} (${identity.source}): check that the key and certificate files are a pair`,
    });
  }
  findings.push(...keyFindings(identity));

  for (const certificate of [signer, ...identity.intermediates]) {
    const who = certificate === signer ? 'the signing certificate' : `the intermediate ${label(certificate)}`;
    if (now > certificate.validTo) {
      findings.push({
        severity: 'error',
        code: 'expired',
        message: `${who} expired on ${day(certificate.validTo)}: devices show profiles signed with it as unsigned; renew it`,
      });
    } else if (now < certificate.validFrom) {
      findings.push({ severity: 'error', code: 'not-yet-valid', message: `${who} is valid only from ${day(certificate.validFrom)}` });
    } else if (certificate.validTo.getTime() - now.getTime() < warnDays * DAY) {
      const days = Math.max(0, Math.floor((certificate.validTo.getTime() - now.getTime()) / DAY));
      findings.push({
        severity: 'warning',
        code: 'expiring-soon',
        message: `${who} expires in ${days} day(s), on ${day(certificate.validTo)}: renew it (with the same key if you can, see "key rotation")`,
      });
    }
  }

  const top = identity.intermediates[identity.intermediates.length - 1] ?? signer;
  if (!top.selfSigned && !identity.root && !publicRootFor(top)) {
    findings.push({
      severity: 'warning',
      code: 'chain-incomplete',
      message: `the chain stops at ${label(top)}: its issuer "${top.issuer}" is missing; add that intermediate to the chain file unless it is a root your devices trust, or devices show "Not Verified"`,
    });
  }

  if (signer.keyUsage && !signer.keyUsage.has('digitalSignature')) {
    findings.push({
      severity: 'warning',
      code: 'key-usage',
      message: `the signing certificate's key usage (${[...signer.keyUsage].join(', ') || 'none'}) does not include digitalSignature: devices may reject the signature`,
    });
  }
  for (const certificate of [signer, ...identity.intermediates]) {
    if (certificate.weakSignature) {
      findings.push({
        severity: 'warning',
        code: 'weak-signature',
        message: `${label(certificate)} is signed with ${certificate.signatureAlgorithm}: SHA-1 and MD5 are no longer trusted; get a certificate signed with SHA-256`,
      });
    }
  }
  for (const certificate of identity.unrelated) {
    findings.push({ severity: 'warning', code: 'unrelated-certificate', message: `${label(certificate)} is not in the signer's chain and is left out` });
  }
  if (identity.development) {
    findings.push({
      severity: 'warning',
      code: 'development-identity',
      message: `no signing certificate is configured: profiles are signed with the development identity in ${identity.source}, and devices show them as "Not Verified" unless its CA is trusted on them; configure MAILSETUP_SIGNING_CERT and MAILSETUP_SIGNING_KEY (or MAILSETUP_SIGNING_P12) for production`,
    });
  }
  findings.push(...describeIdentity(identity));
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return findings.sort((a, b) => order[a.severity] - order[b.severity]);
}

/** What the identity is, as info findings. */
function describeIdentity(identity: SigningIdentity): Finding[] {
  const signer = identity.certificate;
  const chain = [signer, ...identity.intermediates].map((c) => c.commonName ?? c.subject);
  const top = identity.intermediates[identity.intermediates.length - 1] ?? signer;
  const root = identity.root ?? publicRootFor(top);
  return [
    { severity: 'info', code: 'source', message: `identity: ${identity.source}` },
    { severity: 'info', code: 'subject', message: `signer: ${signer.subject}` },
    { severity: 'info', code: 'issuer', message: `issuer: ${signer.issuer}` },
    { severity: 'info', code: 'validity', message: `valid: ${day(signer.validFrom)} to ${day(signer.validTo)}` },
    { severity: 'info', code: 'key', message: `key: ${signer.keyDescription}, certificate signed with ${signer.signatureAlgorithm}` },
    {
      severity: 'info',
      code: 'chain',
      message: `chain embedded in profiles: ${chain.join(' → ')}${root ? ` (root: ${root.commonName ?? root.subject}${identity.root ? '' : ', publicly trusted'})` : ''}`,
    },
    { severity: 'info', code: 'fingerprint', message: `SHA-256 fingerprint: ${signer.fingerprint256}` },
  ];
}

/** One error listing every error finding, for refusing an identity; undefined when it can sign. */
export function refusalOf(identity: SigningIdentity, findings: readonly Finding[]): MailsetupError | undefined {
  const errors = findings.filter((f): f is Extract<Finding, { severity: 'error' }> => f.severity === 'error');
  if (errors.length === 0) return undefined;
  const first = errors[0]!;
  return new MailsetupError('SIGNING_FAILED', `cannot sign with ${identity.source}: ${errors.map((f) => f.message).join('; ')}`, {
    field: 'signing',
    rule: first.code,
  });
}
