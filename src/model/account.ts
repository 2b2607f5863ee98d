// The one account model every output format is built from. The TypeScript types are inferred
// from these schemas, so HTTP, CLI, bulk rows and builders cannot disagree.
import { z } from 'zod';
import { ruleParams } from '../error-rules.js';
import { emailParts, hostName, httpsUrl, loginValue, port, secretText, visibleText } from './rules.js';
import { trustedCertificateSchema } from './trust.js';

export const ACCOUNT_KINDS = ['imap', 'pop', 'exchange'] as const;
export const SOCKET_TYPES = ['SSL', 'STARTTLS', 'plain'] as const;
/** Authentication methods, named as in Thunderbird autoconfig; each format maps them. */
export const AUTH_METHODS = ['password-cleartext', 'password-encrypted', 'NTLM', 'GSSAPI', 'OAuth2', 'none'] as const;
export const DEVICES = ['ios', 'macos'] as const;

export const accountKind = z.enum(ACCOUNT_KINDS, { error: `the account type is one of ${ACCOUNT_KINDS.join(', ')}` });
export const socketType = z.enum(SOCKET_TYPES, { error: `the security is one of ${SOCKET_TYPES.join(', ')}` });
export const authMethod = z.enum(AUTH_METHODS, { error: `the authentication is one of ${AUTH_METHODS.join(', ')}` });
export const device = z.enum(DEVICES, { error: `the device is one of ${DEVICES.join(', ')}` });

export type AccountKind = z.infer<typeof accountKind>;
export type SocketType = z.infer<typeof socketType>;
export type AuthMethod = z.infer<typeof authMethod>;
export type Device = z.infer<typeof device>;

export const mailServerSchema = z.object({
  host: hostName,
  port,
  socket: socketType,
  auth: authMethod,
  /** The login sent to this server, already expanded for the person (a value, not a template); absent when auth is none. */
  username: loginValue.optional(),
});
export type MailServer = z.output<typeof mailServerSchema>;

export const exchangeServerSchema = z.object({
  host: hostName,
  ssl: z.boolean(),
  /** EWS endpoint for macOS; iOS ActiveSync has no port or path. */
  port,
  path: z.string().regex(/^\/[\x21-\x7e]*$/, { error: 'an EWS path starts with / and has no spaces' }),
  username: loginValue,
  /** Modern sign-in: the device signs in with OAuth (URLs when discovery does not give them) and no password is written. */
  oauth: z.object({ signInUrl: httpsUrl.optional(), tokenUrl: httpsUrl.optional() }).optional(),
});
export type ExchangeServer = z.output<typeof exchangeServerSchema>;

/** A CalDAV or CardDAV server for the same person, login expanded. */
export const davServerSchema = z.object({
  host: hostName,
  port,
  ssl: z.boolean(),
  /** The whole principal URL (`https://dav.example.org/dav/anna@example.org/`), when the provider names one. */
  principalUrl: httpsUrl.optional(),
  username: loginValue,
});
export type DavServer = z.output<typeof davServerSchema>;

const identity = {
  email: emailParts,
  displayName: visibleText('the display name').optional(),
};
const extras = {
  /** Only present when the user explicitly asked for it to be embedded. */
  password: secretText.min(1).optional(),
  provider: z.object({ id: z.string(), name: z.string(), variant: z.string() }).optional(),
  /** Calendars and contacts beside mail (IMAP and POP only: Exchange syncs them itself). */
  caldav: davServerSchema.optional(),
  carddav: davServerSchema.optional(),
  /** CA certificates the device must trust to reach these servers, installed with the account. */
  trust: z.array(trustedCertificateSchema).optional(),
};

/** A server this kind of account cannot do without: when it is missing, the error names the field. */
function needs<T extends z.ZodType>(kind: AccountKind, field: string, server: T) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (value === undefined) ctx.addIssue({ code: 'custom', message: `a ${kind} account needs ${field} server settings`, params: ruleParams('required') });
    })
    .pipe(server);
}

/** A server this kind of account does not have (so reading it on any account is allowed, and undefined). */
function without(kind: AccountKind, field: string) {
  return z.undefined({ error: `a ${kind} account has no ${field} server settings` }).optional();
}

function internetAccount<K extends 'imap' | 'pop'>(kind: K) {
  return z.object({
    kind: z.literal(kind),
    ...identity,
    incoming: needs(kind, 'incoming', mailServerSchema),
    outgoing: needs(kind, 'outgoing', mailServerSchema),
    exchange: without(kind, 'exchange'),
    ...extras,
  });
}

/** One shape per kind, so the type says which servers exist: IMAP and POP have incoming and outgoing, Exchange has exchange. */
export const accountSchema = z.discriminatedUnion(
  'kind',
  [
    internetAccount('imap'),
    internetAccount('pop'),
    z.object({
      kind: z.literal('exchange'),
      ...identity,
      incoming: without('exchange', 'incoming'),
      outgoing: without('exchange', 'outgoing'),
      exchange: needs('exchange', 'exchange', exchangeServerSchema),
      ...extras,
    }),
  ],
  { error: `the account type is one of ${ACCOUNT_KINDS.join(', ')}` },
);

export type AccountInput = z.input<typeof accountSchema>;
export type Account = z.output<typeof accountSchema>;
export type ExchangeAccount = Extract<Account, { kind: 'exchange' }>;
/** An IMAP or POP account: an incoming and an outgoing (SMTP) server. */
export type InternetAccount = Exclude<Account, ExchangeAccount>;
