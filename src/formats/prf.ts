// Outlook profile file (PRF) for `outlook.exe /importprf`: the seven-section INI format of the Office Resource Kit.
//
// The file is built from data: sections of [key, value] pairs, serialised one `key=value` per line.
// Outlook reads it like Windows' own INI reader: a value is everything after the first `=` up to
// the line end, with surrounding spaces and a pair of enclosing quotes removed. So `;`, `#`, `=`,
// `]` and backslashes inside a value are literal, and the builder refuses only what that reader
// cannot carry: line breaks and control characters, leading or trailing spaces, values wrapped in
// quotes, and very long values. Socket mapping: implicit TLS is 1 (`IMAPUseSSL`, `POP3UseSSL`,
// `SMTPSecureConnection`); STARTTLS is 2 (`SMTPSecureConnection` "TLS"); plain is 0. For incoming
// servers 2 is unverified on devices, but it fails safe: read as the encryption list (None, SSL,
// TLS, Auto) it is STARTTLS; read as a flag it is SSL, which fails to connect to a STARTTLS port
// rather than sending the password in clear.
import { MailsetupError, type Rule } from '../errors.js';
import type { Account, ExchangeAccount, InternetAccount, MailServer, SocketType } from '../model/account.js';
import type { EmailParts } from '../model/rules.js';
import type { FormatContext, OutlookVersion } from './context.js';
import { oneLineValue } from './value-guard.js';

export const DEFAULT_OUTLOOK_VERSION: OutlookVersion = '2016';

/** The Office registry version of each Outlook release (16.0 covers 2016 to Microsoft 365). */
export const OFFICE_VERSION_KEY: Readonly<Record<OutlookVersion, string>> = { '2010': '14.0', '2013': '15.0', '2016': '16.0' };

/** Longest value written: far above any real name or login, far below any reader's line limit. */
export const PRF_MAX_VALUE_LENGTH = 1024;

type MapiType = 'PT_UNICODE' | 'PT_STRING8' | 'PT_LONG';

/** The MAPI property every account or service value maps to; a value without its mapping is ignored. */
const PROPERTY: Readonly<Record<string, readonly [MapiType, number]>> = {
  AccountName: ['PT_UNICODE', 0x0002],
  DisplayName: ['PT_UNICODE', 0x000b],
  EmailAddress: ['PT_UNICODE', 0x000c],
  ConnectionType: ['PT_LONG', 0x000f],
  IMAPServer: ['PT_UNICODE', 0x0100],
  IMAPUserName: ['PT_UNICODE', 0x0101],
  IMAPPort: ['PT_LONG', 0x0104],
  IMAPUseSSL: ['PT_LONG', 0x0105],
  IMAPUseSPA: ['PT_LONG', 0x0108],
  POP3Server: ['PT_UNICODE', 0x0100],
  POP3UserName: ['PT_UNICODE', 0x0101],
  POP3Port: ['PT_LONG', 0x0104],
  POP3UseSSL: ['PT_LONG', 0x0105],
  POP3UseSPA: ['PT_LONG', 0x0108],
  SMTPServer: ['PT_UNICODE', 0x0200],
  SMTPPort: ['PT_LONG', 0x0201],
  SMTPUseAuth: ['PT_LONG', 0x0203],
  SMTPUserName: ['PT_UNICODE', 0x0204],
  SMTPUseSPA: ['PT_LONG', 0x0207],
  SMTPSecureConnection: ['PT_LONG', 0x020a],
  LeaveOnServer: ['PT_LONG', 0x1000],
};

/** Microsoft Exchange Server service properties (Outlook 2010 and 2013 only). */
const EXCHANGE_PROPERTY: Readonly<Record<string, readonly [MapiType, number]>> = {
  MailboxName: ['PT_STRING8', 0x6607],
  HomeServer: ['PT_STRING8', 0x6608],
  AccountName: ['PT_UNICODE', 0x6620],
};

/** Keys that steer the import itself and map to no property. */
export const PRF_CONTROL_KEYS: readonly string[] = ['UniqueService', 'OverwriteExistingService'];

const EXCHANGE_SERVICE_GUID = '5494A1C0297F101BA58708002B2A2517';

export const PRF_SOCKET: Readonly<Record<SocketType, number>> = { SSL: 1, STARTTLS: 2, plain: 0 };

export interface PrfSection {
  name: string;
  /** Comment lines written above the section header. */
  comments?: readonly string[];
  entries: readonly (readonly [string, string | number])[];
}

export interface PrfDocument {
  /** Comment lines at the top of the file. */
  header: readonly string[];
  sections: readonly PrfSection[];
}

function value(raw: string, field: string, ascii = false): string {
  oneLineValue(raw, field, 'PRF');
  const refuse = (rule: Rule, message: string) => {
    throw new MailsetupError('INVALID_INPUT', message, { field, rule });
  };
  if (raw.length > PRF_MAX_VALUE_LENGTH) refuse('prf-max-length', `a PRF value has at most ${PRF_MAX_VALUE_LENGTH} characters`);
  if (raw !== raw.trim()) refuse('prf-surrounding-space', 'a PRF value must not start or end with a space (Outlook would drop it)');
  if (raw.length >= 2 && /^(["']).*\1$/su.test(raw)) refuse('prf-quoted', 'a PRF value must not be wrapped in quotes (Outlook would drop them)');
  if (ascii && /[^\x20-\x7e]/.test(raw)) refuse('prf-ascii', 'this PRF value is stored as ANSI text and must be plain ASCII');
  return raw;
}

function mappingSection(name: string, head: readonly (readonly [string, string])[], keys: readonly string[], table: typeof PROPERTY): PrfSection {
  const entries: (readonly [string, string])[] = [...head];
  for (const key of keys) {
    const property = table[key];
    if (!property) throw new RangeError(`no MAPI mapping for ${key}`);
    entries.push([key, `${property[0]},0x${property[1].toString(16).toUpperCase().padStart(4, '0')}`]);
  }
  return { name, entries };
}

function generalSection(profileName: string): PrfSection {
  return {
    name: 'General',
    comments: ['Section 1: profile defaults. Re-importing replaces this profile instead of adding another.'],
    entries: [
      ['Custom', 1],
      ['ProfileName', value(profileName, 'email')],
      ['DefaultProfile', 'Yes'],
      ['OverwriteProfile', 'Yes'],
      ['ModifyDefaultProfileIfPresent', 'FALSE'],
      ['BackupProfile', 'No'],
    ],
  };
}

const HEADER = (email: EmailParts) => [
  `Outlook profile for ${email.ascii}: outlook.exe /importprf <this file> (classic Outlook for Windows only).`,
  'No password is stored in this file: Outlook asks for it the first time it connects.',
];

function serverEntries(prefix: 'IMAP' | 'POP3', server: MailServer, field: string): [string, string | number][] {
  return [
    [`${prefix}Server`, value(server.host, `${field}.host`)],
    [`${prefix}Port`, server.port],
    [`${prefix}UseSSL`, PRF_SOCKET[server.socket]],
    ...(server.auth !== 'none' && server.username ? [[`${prefix}UserName`, value(server.username, `${field}.username`)] as [string, string]] : []),
    [`${prefix}UseSPA`, server.auth === 'NTLM' ? 1 : 0],
  ];
}

function internetDocument(account: InternetAccount): PrfDocument {
  const { email, incoming, outgoing } = account;
  const pop = account.kind === 'pop';
  const accountType = pop ? 'I_Mail' : 'IMAP_I_Mail';
  const smtpAuth = outgoing.auth !== 'none';
  const entries: [string, string | number][] = [
    ['AccountName', value(email.address, 'email')],
    ...(account.displayName ? [['DisplayName', value(account.displayName, 'displayName')] as [string, string]] : []),
    ['EmailAddress', value(email.ascii, 'email')],
    ...serverEntries(pop ? 'POP3' : 'IMAP', incoming, 'incoming'),
    ['SMTPServer', value(outgoing.host, 'outgoing.host')],
    ['SMTPPort', outgoing.port],
    ['SMTPSecureConnection', PRF_SOCKET[outgoing.socket]],
    ['SMTPUseAuth', smtpAuth ? 1 : 0],
    // Without a user name of its own, SMTP logs in with the incoming server's name and password.
    ...(smtpAuth && outgoing.username && outgoing.username !== incoming.username
      ? [['SMTPUserName', value(outgoing.username, 'outgoing.username')] as [string, string]]
      : []),
    ['SMTPUseSPA', outgoing.auth === 'NTLM' ? 1 : 0],
    ['ConnectionType', 0],
    // POP: keep a copy on the server, so other devices and webmail still see the mail.
    ...(pop ? [['LeaveOnServer', 1] as [string, number]] : []),
  ];
  const valueKeys = entries.map(([key]) => key);
  return {
    header: HEADER(email),
    sections: [
      generalSection(email.address),
      { name: 'Service List', comments: ['Section 2: services in the profile.'], entries: [['Service1', 'Outlook Address Book']] },
      { name: 'Internet Account List', comments: ['Section 3: internet mail accounts.'], entries: [['Account1', accountType]] },
      { name: 'Service1', comments: ['Section 4: service settings. The Outlook Address Book takes none.'], entries: [] },
      { name: 'Account1', comments: ['Section 5: account values.'], entries: [['UniqueService', 'No'], ...entries] },
      { ...mappingSection('Outlook Address Book', [['ServiceName', 'CONTAB']], [], PROPERTY), comments: ['Section 6: service mappings.'] },
      {
        ...mappingSection(accountType, [['AccountType', pop ? 'POP3' : 'IMAP']], valueKeys, PROPERTY),
        comments: ['Section 7: account value mappings (a value without its mapping is ignored).'],
      },
    ],
  };
}

/** Whether a PRF can carry this account for the chosen Outlook (Exchange only up to 2013). */
export function prfPossible(account: Pick<Account, 'kind'>, version: OutlookVersion): boolean {
  return account.kind !== 'exchange' || version === '2010' || version === '2013';
}

function exchangeDocument(account: ExchangeAccount, version: OutlookVersion): PrfDocument {
  if (!prfPossible(account, version)) {
    throw new MailsetupError(
      'UNSUPPORTED',
      `Outlook ${version} and later cannot create Exchange accounts from a PRF file; use Autodiscover instead (the autodiscover format or the outlook-pack), or choose Outlook 2010 or 2013`,
      { field: 'outlook', rule: 'prf-exchange' },
    );
  }
  const { email, exchange } = account;
  const entries: [string, string][] = [
    ['MailboxName', value(email.ascii, 'email', true)],
    ['HomeServer', value(exchange.host, 'exchange.host', true)],
    ['AccountName', value(email.address, 'email')],
  ];
  return {
    header: [...HEADER(email), `Outlook ${version}: the Exchange server completes the settings through Autodiscover when Outlook first connects.`],
    sections: [
      generalSection(email.address),
      {
        name: 'Service List',
        comments: ['Section 2: services in the profile.'],
        entries: [
          ['Service1', 'Microsoft Exchange Server'],
          ['Service2', 'Outlook Address Book'],
        ],
      },
      { name: 'Internet Account List', comments: ['Section 3: internet mail accounts (none: Exchange is a service).'], entries: [] },
      { name: 'Service1', comments: ['Section 4: service settings.'], entries: [['UniqueService', 'Yes'], ['OverwriteExistingService', 'Yes'], ...entries] },
      { name: 'Service2', entries: [] },
      {
        ...mappingSection(
          'Microsoft Exchange Server',
          [
            ['ServiceName', 'MSEMS'],
            ['MDBGUID', EXCHANGE_SERVICE_GUID],
          ],
          entries.map(([key]) => key),
          EXCHANGE_PROPERTY,
        ),
        comments: ['Section 6: service mappings.'],
      },
      { ...mappingSection('Outlook Address Book', [['ServiceName', 'CONTAB']], [], PROPERTY) },
    ],
  };
}

/** The PRF as data (sections of key/value pairs); exported for tests and inspection. */
export function buildPrfDocument(account: Account, version: OutlookVersion = DEFAULT_OUTLOOK_VERSION): PrfDocument {
  return account.kind === 'exchange' ? exchangeDocument(account, version) : internetDocument(account);
}

/** The PRF text with CRLF line ends; every line is checked again, so nothing can start another. */
export function renderPrf(document: PrfDocument): string {
  const line = (text: string, field: string) => oneLineValue(text, field, 'PRF');
  const lines: string[] = document.header.map((comment) => `; ${line(comment, 'comment')}`);
  for (const section of document.sections) {
    lines.push('');
    for (const comment of section.comments ?? []) lines.push(`; ${line(comment, 'comment')}`);
    lines.push(`[${line(section.name, 'section')}]`);
    for (const [key, raw] of section.entries) lines.push(`${key}=${line(String(raw), key)}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** ASCII when every character is ASCII; otherwise UTF-16LE with a byte order mark (never UTF-8). */
export function encodePrf(text: string): Buffer {
  // eslint-disable-next-line no-control-regex -- the test is for ASCII, which starts at NUL
  if (/^[\x00-\x7f]*$/.test(text)) return Buffer.from(text, 'ascii');
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export function buildPrf(account: Account, version: OutlookVersion = DEFAULT_OUTLOOK_VERSION): Buffer {
  return encodePrf(renderPrf(buildPrfDocument(account, version)));
}

/** The `prf` format. */
export function buildPrfForAccount(account: Account, context: FormatContext): Buffer {
  return buildPrf(account, context.outlookVersion ?? DEFAULT_OUTLOOK_VERSION);
}
