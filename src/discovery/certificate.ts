// A server certificate judged the way RFC 8314 asks a mail client to: a chain to a trusted root
// (Node's store or the configured CA), the name the client connected to (RFC 6125), and its
// dates, with a warning some weeks before it expires.
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

export type CertificateProblem = 'expired' | 'not-yet-valid' | 'untrusted' | 'wrong-name' | 'missing';

export interface CertificateReport {
  /** Trusted chain, right name, within its dates. */
  valid: boolean;
  problems: CertificateProblem[];
  /** OpenSSL's verdict on the chain, e.g. CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  chainError: string | undefined;
  subject: string;
  issuer: string;
  /** DNS names the certificate covers. */
  names: string[];
  validTo: string;
  daysLeft: number;
  /** Valid, but expiring within the warning period. */
  expiresSoon: boolean;
  protocol: string | undefined;
}

const DAY_MS = 24 * 3600 * 1000;
const EXPIRED = new Set(['CERT_HAS_EXPIRED']);
const NOT_YET = new Set(['CERT_NOT_YET_VALID']);
/** Node reports a name mismatch as the chain error too; the name is judged on its own below. */
const NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID']);

function names(certificate: PeerCertificate): string[] {
  const fromAltNames = (certificate.subjectaltname ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('DNS:'))
    .map((part) => part.slice(4));
  return fromAltNames.length > 0 ? fromAltNames : [certificate.subject?.CN].flat().filter((n): n is string => typeof n === 'string');
}

function distinguished(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${[value].flat().join('+')}`)
    .join(', ');
}

export function certificateReport(socket: TLSSocket, host: string, now: number, warningDays: number): CertificateReport {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) {
    return {
      valid: false,
      problems: ['missing'],
      chainError: undefined,
      subject: '',
      issuer: '',
      names: [],
      validTo: '',
      daysLeft: 0,
      expiresSoon: false,
      protocol: socket.getProtocol() ?? undefined,
    };
  }
  const chainError = socket.authorized ? undefined : String(socket.authorizationError ?? 'UNTRUSTED');
  const problems: CertificateProblem[] = [];
  const validTo = new Date(certificate.valid_to);
  const validFrom = new Date(certificate.valid_from);
  if ((chainError && EXPIRED.has(chainError)) || validTo.getTime() < now) problems.push('expired');
  if ((chainError && NOT_YET.has(chainError)) || validFrom.getTime() > now) problems.push('not-yet-valid');
  if (chainError && !EXPIRED.has(chainError) && !NOT_YET.has(chainError) && !NAME.has(chainError)) problems.push('untrusted');
  if (checkServerIdentity(host, certificate) !== undefined) problems.push('wrong-name');
  const daysLeft = Math.floor((validTo.getTime() - now) / DAY_MS);
  return {
    valid: problems.length === 0,
    problems,
    chainError,
    subject: distinguished(certificate.subject),
    issuer: distinguished(certificate.issuer),
    names: names(certificate),
    validTo: validTo.toISOString(),
    daysLeft,
    expiresSoon: problems.length === 0 && daysLeft < warningDays,
    protocol: socket.getProtocol() ?? undefined,
  };
}

/** The problems in words, for messages: "expired on 2024-01-01", "issued for mail.example.org, not imap.example.org". */
export function describeProblems(report: CertificateReport, host: string): string {
  return report.problems
    .map((problem) => {
      switch (problem) {
        case 'expired':
          return `expired on ${report.validTo.slice(0, 10)}`;
        case 'not-yet-valid':
          return 'not valid yet';
        case 'untrusted':
          return `not issued by a trusted authority (${report.chainError})`;
        case 'wrong-name':
          return `issued for ${report.names.join(', ') || 'another name'}, not ${host}`;
        case 'missing':
          return 'no certificate was presented';
      }
    })
    .join('; ');
}
