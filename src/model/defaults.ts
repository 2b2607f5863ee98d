// Every default of the account model, in one place. Builders never invent their own.
import type { AccountKind, Device, SocketType } from './account.js';
import type { Language } from './provider.js';

export type MailProtocol = 'imap' | 'pop3' | 'smtp';

export const DEFAULT_PORTS: Readonly<Record<MailProtocol, Readonly<Record<SocketType, number>>>> = Object.freeze({
  imap: { SSL: 993, STARTTLS: 143, plain: 143 },
  pop3: { SSL: 995, STARTTLS: 110, plain: 110 },
  smtp: { SSL: 465, STARTTLS: 587, plain: 25 },
});

/** Security preference when nobody chose: implicit TLS first (RFC 8314), plain never by default. */
export const SOCKET_PREFERENCE: readonly SocketType[] = ['SSL', 'STARTTLS'];

export const DEFAULTS = Object.freeze({
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it Object.freeze types this as 'SSL' alone
  socket: 'SSL' as SocketType,
  auth: 'password-cleartext' as const,
  /** The login when a provider (or a hand-typed setup) names none: the whole address. */
  login: '%EMAILADDRESS%',
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it Object.freeze types this as 'ios' alone
  device: 'ios' as Device,
  /** The language of texts in files and mail when nobody chose one. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it Object.freeze types this as 'en' alone
  language: 'en' as Language,
  /** The file made when a request names no format: the Apple profile. */
  format: 'mobileconfig',
  /** Mailing staff their files (bulk --send and the admin page): SMTP connections, retries, first pause. */
  delivery: Object.freeze({ connections: 2, retries: 3, retryDelaySeconds: 2 }),
  /** Kinds tried in this order when none is asked for and the provider offers several. */
  kindPreference: ['imap', 'pop', 'exchange'] as readonly AccountKind[],
  exchange: Object.freeze({ ssl: true, ewsPort: 443, ewsPath: '/EWS/Exchange.asmx' }),
  /** ActiveSync: how much mail the phone fetches at first (Apple allows 0, 1, 3, 7, 14, 31). */
  mailDaysToSync: 7,
  organization: Object.freeze({ name: 'Mail setup', identifier: 'local.mailsetup' }),
  /** Finding an unknown domain's servers (src/discovery): limits that keep it from being an attack tool. */
  discovery: Object.freeze({
    /** One connection or document fetch, from connecting to its last answer. */
    probeTimeoutMs: 5000,
    /** The whole discovery of one address. */
    deadlineMs: 15_000,
    /** Domains whose results are kept in memory. */
    cacheEntries: 1000,
    /** Results are kept as long as the DNS answers they rest on, at most this long. */
    maxTtlSeconds: 3600,
    /** "Nothing found" is kept shorter, so a domain that just published its records is seen soon. */
    negativeTtlSeconds: 300,
    /** Connections one discovery has open at once. */
    connectionsPerRequest: 16,
    /** Connections all discoveries of this process have open at once. */
    connectionsPerProcess: 64,
    /** Autoconfig and Autodiscover documents are a few kilobytes. */
    maxDocumentBytes: 256 * 1024,
    /** What a mail server may send in answer to one probe before it is cut off. */
    maxReplyBytes: 64 * 1024,
    /** A certificate expiring sooner than this is reported. */
    expiryWarningDays: 30,
    /** Discoveries per client per minute on the web app and API. */
    rateLimitPerMinute: 10,
    /** The only ports discovery connects to, unless the operator adds others (MAILSETUP_DISCOVERY_PORTS). */
    ports: Object.freeze([25, 80, 110, 143, 443, 465, 587, 993, 995] as const),
  }),
});

export function protocolOf(kind: Exclude<AccountKind, 'exchange'>): MailProtocol {
  return kind === 'imap' ? 'imap' : 'pop3';
}
