// What a .mobileconfig is and does, for `mailsetup inspect`: its CMS signature (RFC 5652) checked
// with node:crypto, the signer's chain, the profile against Apple's schema, and what it installs.
import { createHash, verify, type KeyObject } from 'node:crypto';
import { readPlistXml } from '../formats/apple-schema-xml.js';
import { loadAppleSchemas, PlistReal, validateProfile, type AppleOs, type AppleSchemas, type Problem } from '../formats/apple-schema.js';
import { digestName, looksLikeCms, OID, parseSignedData, type ParsedSignedData, type ParsedSignerInfo } from '../signing/cms.js';
import { publicRootFor } from '../signing/diagnostics.js';
import { DEVELOPMENT_MARK } from '../signing/development.js';
import { certificateInfo, issued, type CertificateInfo } from '../signing/x509.js';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** `valid`, `expired` or `not yet valid`, at the time of inspection. */
  status: 'valid' | 'expired' | 'not yet valid';
  key: string;
  signatureAlgorithm: string;
  fingerprint256: string;
}

export interface SignatureReport {
  /** The signature and digest check out against the signer certificate. */
  valid: boolean;
  problems: string[];
  signingTime: string | undefined;
  digestAlgorithm: string;
  signer: CertificateSummary | undefined;
  /** Embedded certificates from the signer upwards. */
  chain: CertificateSummary[];
  /** Embedded certificates that are not in the signer's chain. */
  otherCertificates: CertificateSummary[];
  root: { subject: string; kind: 'embedded' | 'public' | 'development' | 'unknown' };
  /** What an iPhone or Mac is expected to show at install. */
  deviceShows: 'Verified' | 'Not Verified' | 'Unsigned';
  deviceShowsReason: string;
}

export interface ServerSummary {
  protocol: string;
  host: string | undefined;
  port: number | undefined;
  ssl: boolean | undefined;
  path?: string | undefined;
  username: string | undefined;
  authentication?: string | undefined;
  passwordEmbedded: boolean;
}

export interface PayloadSummary {
  type: string;
  displayName: string | undefined;
  identifier: string | undefined;
  /** For mail and Exchange payloads. */
  account?: {
    kind: string;
    email: string | undefined;
    senderName: string | undefined;
    servers: ServerSummary[];
  };
  /** Any key holding a password, by name (values are never reported). */
  passwordKeys: string[];
}

export interface InspectReport {
  size: number;
  signed: boolean;
  signature: SignatureReport | undefined;
  /** Why the content could not be read as a profile, when it could not. */
  profileError: string | undefined;
  profile:
    | {
        displayName: string | undefined;
        organization: string | undefined;
        identifier: string | undefined;
        uuid: string | undefined;
        description: string | undefined;
        device: string;
        scope: string | undefined;
        consentText: boolean;
        removalDate: string | undefined;
      }
    | undefined;
  /** Apple's schema check, for the device(s) the profile targets. */
  schema: { os: AppleOs; problems: Problem[] }[];
  installs: PayloadSummary[];
  passwordsEmbedded: boolean;
}

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof PlistReal);
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const num = (value: unknown) =>
  typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : value instanceof PlistReal ? value.value : undefined;
const bool = (value: unknown) => (typeof value === 'boolean' ? value : undefined);
const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');

function summarize(certificate: CertificateInfo, now: Date): CertificateSummary {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    validFrom: iso(certificate.validFrom),
    validTo: iso(certificate.validTo),
    status: now > certificate.validTo ? 'expired' : now < certificate.validFrom ? 'not yet valid' : 'valid',
    key: certificate.keyDescription,
    signatureAlgorithm: certificate.signatureAlgorithm,
    fingerprint256: certificate.fingerprint256,
  };
}

function verifies(info: ParsedSignerInfo, key: KeyObject, content: Buffer): boolean {
  const hash = digestName(info.digestAlgorithm);
  if (!hash) return false;
  try {
    return verify(hash, info.signedAttributes ?? content, key, info.signature);
  } catch {
    return false;
  }
}

function checkSignature(parsed: ParsedSignedData, now: Date): SignatureReport {
  const problems: string[] = [];
  const certificates = parsed.certificates.flatMap((der) => {
    try {
      return [certificateInfo(der)];
    } catch {
      problems.push('an embedded certificate cannot be read');
      return [];
    }
  });
  const info = parsed.signers[0];
  const content = parsed.content ?? Buffer.alloc(0);
  if (!info) problems.push('the file has no signer');
  if (parsed.signers.length > 1) problems.push(`the file has ${parsed.signers.length} signers; only the first is checked`);
  if (!parsed.content) problems.push('the signature is detached: the file holds no profile');
  const hash = info ? digestName(info.digestAlgorithm) : undefined;
  if (info && !hash) problems.push(`unknown digest algorithm ${info.digestAlgorithm}`);
  if (hash === 'sha1') problems.push('the signature uses SHA-1, which current devices distrust');
  // The signer is the embedded certificate named by the signer identifier; failing that, the one
  // whose key verifies the signature (covers the subject-key-identifier form).
  const signer = info
    ? (certificates.find((c) => info.issuerAndSerialNumber?.equals(c.issuerAndSerialNumber)) ??
      certificates.find((c) => verifies(info, c.x509.publicKey, content)))
    : undefined;
  if (info && !signer) problems.push('the signer certificate is not in the file');
  if (info && hash && info.signedAttributes) {
    if (!info.messageDigest || !createHash(hash).update(content).digest().equals(info.messageDigest))
      problems.push('the profile was changed after signing (its digest does not match)');
    if (info.contentType !== parsed.contentType) problems.push('the signed content type does not match the content');
  }
  if (info && signer && !verifies(info, signer.x509.publicKey, content)) problems.push('the signature does not verify with the signer certificate');

  const chain: CertificateInfo[] = [];
  let root: SignatureReport['root'] = { subject: '', kind: 'unknown' };
  if (signer) {
    chain.push(signer);
    let current = signer;
    for (;;) {
      if (current.selfSigned) {
        root = { subject: current.subject, kind: 'embedded' };
        break;
      }
      const parent = certificates.find((c) => !chain.includes(c) && issued(c, current));
      if (!parent) {
        const publicRoot = publicRootFor(current);
        if (publicRoot) root = { subject: publicRoot.subject, kind: 'public' };
        else root = { subject: current.issuer, kind: current.issuer.includes(DEVELOPMENT_MARK) ? 'development' : 'unknown' };
        break;
      }
      chain.push(parent);
      current = parent;
    }
  }
  const valid = problems.length === 0 || problems.every((p) => p.includes('only the first is checked'));
  const summaries = chain.map((c) => summarize(c, now));
  const expired = summaries.find((c) => c.status !== 'valid');
  let deviceShows: SignatureReport['deviceShows'];
  let deviceShowsReason: string;
  if (!valid) [deviceShows, deviceShowsReason] = ['Not Verified', 'the signature does not check out'];
  else if (expired) [deviceShows, deviceShowsReason] = ['Unsigned', `${expired.subject} is ${expired.status}`];
  else if (root.kind === 'public') [deviceShows, deviceShowsReason] = ['Verified', 'the chain ends at a publicly trusted root'];
  else if (root.kind === 'development')
    [deviceShows, deviceShowsReason] = ['Not Verified', 'signed by the mailsetup development CA; Verified only on devices that trust that CA'];
  else if (root.kind === 'embedded')
    [deviceShows, deviceShowsReason] = ['Not Verified', `the root "${root.subject}" is not publicly trusted; Verified only on devices that trust it`];
  else
    [deviceShows, deviceShowsReason] = [
      'Not Verified',
      `the issuer "${root.subject}" is neither in the file nor a publicly trusted root (missing intermediate?)`,
    ];

  return {
    valid,
    problems,
    signingTime: info?.signingTime ? iso(info.signingTime) : undefined,
    digestAlgorithm: hash ?? info?.digestAlgorithm ?? 'none',
    signer: signer ? summarize(signer, now) : undefined,
    chain: summaries,
    otherCertificates: certificates.filter((c) => !chain.includes(c)).map((c) => summarize(c, now)),
    root,
    deviceShows,
    deviceShowsReason,
  };
}

function server(protocol: string, payload: Dict, prefix: 'Incoming' | 'Outgoing'): ServerSummary {
  return {
    protocol,
    host: str(payload[`${prefix}MailServerHostName`]),
    port: num(payload[`${prefix}MailServerPortNumber`]),
    ssl: bool(payload[`${prefix}MailServerUseSSL`]) ?? false,
    username: str(payload[`${prefix}MailServerUsername`]),
    authentication: str(payload[`${prefix}MailServerAuthentication`]),
    passwordEmbedded: payload[`${prefix}Password`] !== undefined,
  };
}

function summarizePayload(payload: Dict): PayloadSummary {
  const type = str(payload.PayloadType) ?? '(no PayloadType)';
  const summary: PayloadSummary = {
    type,
    displayName: str(payload.PayloadDisplayName),
    identifier: str(payload.PayloadIdentifier),
    passwordKeys: Object.keys(payload).filter(
      (key) => /password|passphrase|secret/i.test(key) && !/SameAs|Prevent|Allow|Require/i.test(key) && payload[key] !== undefined && payload[key] !== '',
    ),
  };
  if (type === 'com.apple.mail.managed') {
    const kind = str(payload.EmailAccountType) === 'EmailTypePOP' ? 'pop' : 'imap';
    const outgoing = server('smtp', payload, 'Outgoing');
    if (!outgoing.passwordEmbedded && payload.OutgoingPasswordSameAsIncomingPassword === true)
      outgoing.passwordEmbedded = payload.IncomingPassword !== undefined;
    summary.account = {
      kind,
      email: str(payload.EmailAddress),
      senderName: str(payload.EmailAccountName),
      servers: [server(kind, payload, 'Incoming'), outgoing],
    };
  } else if (type === 'com.apple.eas.account' || type === 'com.apple.ews.account') {
    const ews = type === 'com.apple.ews.account';
    summary.account = {
      kind: ews ? 'exchange (EWS)' : 'exchange (ActiveSync)',
      email: str(payload.EmailAddress),
      senderName: undefined,
      servers: [
        {
          protocol: ews ? 'ews' : 'activesync',
          host: str(payload.Host),
          port: num(payload.Port) ?? (ews ? undefined : 443),
          ssl: bool(payload.SSL) ?? ews,
          ...(ews ? { path: str(payload.Path) } : {}),
          username: str(payload.UserName),
          passwordEmbedded: payload.Password !== undefined,
        },
      ],
    };
  }
  return summary;
}

const DEVICE_NAMES: Record<number, string> = { 1: 'iPhone/iPad', 5: 'Mac' };

export interface InspectOptions {
  now?: Date;
  schemas?: AppleSchemas;
}

/** Reads a .mobileconfig (signed or not) and reports on it. Never returns a password's value. */
export function inspectProfile(data: Buffer, options: InspectOptions = {}): InspectReport {
  const now = options.now ?? new Date();
  let content = data;
  let signature: SignatureReport | undefined;
  let profileError: string | undefined;
  let signedData: ParsedSignedData | undefined;
  if (looksLikeCms(data)) {
    try {
      signedData = parseSignedData(data);
    } catch (error) {
      profileError = `the file looks signed but is not readable CMS: ${(error as Error).message}`;
    }
  }
  if (signedData) {
    signature = checkSignature(signedData, now);
    content = signedData.content ?? Buffer.alloc(0);
    if (signedData.contentType !== OID.data) profileError = `the signed content is of type ${signedData.contentType}, not data`;
  }

  const report: InspectReport = {
    size: data.length,
    signed: signedData !== undefined,
    signature,
    profileError,
    profile: undefined,
    schema: [],
    installs: [],
    passwordsEmbedded: false,
  };
  if (profileError) return report;
  let profile: unknown;
  try {
    if (content.subarray(0, 8).toString('latin1') === 'bplist00') throw new Error('it is a binary property list; convert it with plutil -convert xml1');
    profile = readPlistXml(content);
  } catch (error) {
    report.profileError = `the profile is not a readable XML property list: ${(error as Error).message}`;
    return report;
  }
  if (!isDict(profile)) {
    report.profileError = 'the property list is not a dictionary';
    return report;
  }
  const target = num(profile.TargetDeviceType);
  report.profile = {
    displayName: str(profile.PayloadDisplayName),
    organization: str(profile.PayloadOrganization),
    identifier: str(profile.PayloadIdentifier),
    uuid: str(profile.PayloadUUID),
    description: str(profile.PayloadDescription),
    device: (target !== undefined && DEVICE_NAMES[target]) || (target === undefined ? 'any (the device asks)' : `device type ${target}`),
    scope: str(profile.PayloadScope),
    consentText: profile.ConsentText !== undefined,
    removalDate: profile.RemovalDate instanceof Date ? iso(profile.RemovalDate) : undefined,
  };
  const oses: AppleOs[] = target === 1 ? ['iOS'] : target === 5 ? ['macOS'] : ['iOS', 'macOS'];
  const schemas = options.schemas ?? loadAppleSchemas();
  report.schema = oses.map((os) => ({ os, problems: validateProfile(profile, os, schemas) }));
  const payloads = Array.isArray(profile.PayloadContent) ? profile.PayloadContent.filter(isDict) : [];
  report.installs = payloads.map(summarizePayload);
  report.passwordsEmbedded = report.installs.some((p) => p.passwordKeys.length > 0 || (p.account?.servers.some((s) => s.passwordEmbedded) ?? false));
  return report;
}
