// Every default of the account model, in one place. Builders never invent their own.
import type { AccountKind, Device, SocketType } from './account.js';

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
  /** Kinds tried in this order when none is asked for and the provider offers several. */
  kindPreference: ['imap', 'pop', 'exchange'] as readonly AccountKind[],
  exchange: Object.freeze({ ssl: true, ewsPort: 443, ewsPath: '/EWS/Exchange.asmx' }),
  /** ActiveSync: how much mail the phone fetches at first (Apple allows 0, 1, 3, 7, 14, 31). */
  mailDaysToSync: 7,
  organization: Object.freeze({ name: 'Mail setup', identifier: 'local.mailsetup' }),
});

export function protocolOf(kind: Exclude<AccountKind, 'exchange'>): MailProtocol {
  return kind === 'imap' ? 'imap' : 'pop3';
}
