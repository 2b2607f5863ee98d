// What discovery answers: the servers it found, where each came from and whether a connection
// verified it, everything it tried (so "nothing found" can say what), the connection checks and
// warnings for the person.
import type { AuthMethod, SocketType } from '../model/account.js';
import type { MailProtocol } from '../model/defaults.js';
import type { ProbeReport } from './probe.js';

/** Where a server came from, most trusted first: the order in which answers win. */
export const SOURCES = ['catalog', 'autoconfig', 'mx-provider', 'mx-autoconfig', 'srv', 'autodiscover', 'autoconfig-http', 'guess'] as const;
export type SourceId = (typeof SOURCES)[number];

export interface FoundServer {
  protocol: MailProtocol;
  host: string;
  port: number;
  socket: SocketType;
  /** Methods the source declares (or, for guessed servers, the server offered). */
  auth: AuthMethod[];
  /** The login as a template (`%EMAILADDRESS%`, …), when the source says. */
  login: string | undefined;
  source: SourceId;
  /** The document, record or host it came from: `https://autoconfig.example.org/…`, `SRV _imaps._tcp.example.org`. */
  origin: string;
  /** A connection confirmed it: the protocol answered and TLS has a valid certificate for the name. */
  verified: boolean;
}

export interface FoundExchange {
  host: string;
  ewsUrl: string | undefined;
  source: SourceId;
  origin: string;
}

export type AttemptOutcome = 'found' | 'nothing' | 'failed' | 'refused' | 'timeout' | 'skipped';

export interface Attempt {
  source: SourceId;
  /** What was asked: a URL, a DNS name, `imap.example.org:993`. */
  target: string;
  outcome: AttemptOutcome;
  detail?: string | undefined;
}

export const WARNING_CODES = ['certificate', 'certificate-expiring', 'unreachable', 'no-starttls', 'less-trusted', 'unencrypted'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface DiscoveryWarning {
  code: WarningCode;
  /** `host:port`, or the URL for less-trusted answers. */
  server: string;
  /** In English, for the command line and the API; pages say it from templates/locales by code. */
  message: string;
  /** Days left, for expiring certificates. */
  days?: number | undefined;
}

export interface DiscoveryResult {
  email: string;
  domain: string;
  /** An incoming and an outgoing server were found (verified, for guessed ones). */
  found: boolean;
  /** The source of the incoming server. */
  source: SourceId | undefined;
  provider: { id: string; name: string; variant: string } | undefined;
  /** Usable servers, incoming (IMAP, then POP3) first, each protocol in preference order. */
  servers: FoundServer[];
  exchange: FoundExchange | undefined;
  attempts: Attempt[];
  checks: ProbeReport[];
  warnings: DiscoveryWarning[];
  /** Connections were made to check the servers. */
  probed: boolean;
  /** How long this answer may be kept (the DNS answers' TTLs, capped). */
  ttlSeconds: number;
  elapsedMs: number;
  cached: boolean;
}
