// Apple configuration profile (.mobileconfig): TopLevel with one com.apple.mail.managed,
// com.apple.eas.account (iOS) or com.apple.ews.account (macOS) payload, per Apple's device-management schema,
// plus the provider's CA certificates (com.apple.security.root / .pem) before it and CalDAV and
// CardDAV (com.apple.caldav.account / .carddav.account) after it, all in one install.
import type { Account, AuthMethod, DavServer, ExchangeAccount, ExchangeServer, InternetAccount, MailServer } from '../model/account.js';
import { DEFAULTS } from '../model/defaults.js';
import { organizationNamespace, uuidV5 } from '../model/identifiers.js';
import { derOf, pemOf } from '../model/trust.js';
import type { EmailParts } from '../model/rules.js';
import type { FormatContext, ProfileText } from './context.js';
import { buildPlistXml, compilePlistTemplate, fillPlistTemplate, plistHole, type PlistTemplate, type PlistValue } from './plist-xml.js';

type Dict = { [key: string]: PlistValue };

export const TARGET_DEVICE_TYPE = { ios: 1, macos: 5 } as const;

const APPLE_AUTH: Record<AuthMethod, string | undefined> = {
  'password-cleartext': 'EmailAuthPassword',
  'password-encrypted': 'EmailAuthCRAMMD5',
  NTLM: 'EmailAuthNTLM',
  none: 'EmailAuthNone',
  GSSAPI: undefined,
  OAuth2: undefined,
};

export type MobileconfigPayloadType = 'com.apple.mail.managed' | 'com.apple.eas.account' | 'com.apple.ews.account';

const PAYLOAD_SUFFIX: Record<MobileconfigPayloadType, string> = {
  'com.apple.mail.managed': 'mail',
  'com.apple.eas.account': 'eas',
  'com.apple.ews.account': 'ews',
};

export function payloadTypeFor(account: Account, device: FormatContext['device']): MobileconfigPayloadType {
  if (account.kind !== 'exchange') return 'com.apple.mail.managed';
  return device === 'macos' ? 'com.apple.ews.account' : 'com.apple.eas.account';
}

/** The identifiers of one person's profile; each payload's is the profile's plus its role. */
interface ProfileIds {
  identifier: string;
  uuid: string;
  /** The UUID of the payload with one role (its payload type, `caldav`, `trust.…`). */
  payloadUuid(role: string): string;
}

/**
 * Identity of a profile: one per organisation and address, whatever the account type, so a
 * reinstall (or a switch from POP to IMAP) replaces the earlier profile instead of adding one.
 */
function profileIds(organizationIdentifier: string, email: EmailParts): ProfileIds {
  const namespace = organizationNamespace(organizationIdentifier);
  const person = email.ascii.toLowerCase();
  const uuid = uuidV5(namespace, `profile:${person}`);
  return {
    identifier: `${organizationIdentifier}.account.${uuid.toLowerCase()}`,
    uuid,
    payloadUuid: (role) => uuidV5(namespace, `payload:${person}:${role}`),
  };
}

export function profileIdentity(organizationIdentifier: string, email: EmailParts, payloadType: MobileconfigPayloadType) {
  const ids = profileIds(organizationIdentifier, email);
  return {
    identifier: ids.identifier,
    uuid: ids.uuid,
    payloadIdentifier: `${ids.identifier}.${PAYLOAD_SUFFIX[payloadType]}`,
    payloadUuid: ids.payloadUuid(payloadType),
  };
}

/** What a profile reads from the format context. */
type ProfileContext = Pick<FormatContext, 'organization' | 'device' | 'text' | 'includePassword'>;

/** Leaves out undefined and empty-string values: Apple wants absent keys, not empty ones. */
function compact(dict: Record<string, PlistValue | undefined>): Dict {
  const out: Dict = {};
  for (const [key, value] of Object.entries(dict)) {
    if (value === undefined || value === '') continue;
    out[key] = value;
  }
  return out;
}

function appleAuth(method: AuthMethod): string {
  const value = APPLE_AUTH[method];
  if (!value) throw new RangeError(`authentication ${method} has no Apple profile equivalent`);
  return value;
}

/**
 * STARTTLS has no key of its own: UseSSL is true for both implicit TLS and STARTTLS, so the
 * device never sends a password unencrypted; only `plain` servers get false.
 */
function serverKeys(prefix: 'Incoming' | 'Outgoing', server: MailServer): Dict {
  return compact({
    [`${prefix}MailServerHostName`]: server.host,
    [`${prefix}MailServerPortNumber`]: server.port,
    [`${prefix}MailServerUseSSL`]: server.socket !== 'plain',
    [`${prefix}MailServerAuthentication`]: appleAuth(server.auth),
    [`${prefix}MailServerUsername`]: server.auth === 'none' ? undefined : server.username,
  });
}

function mailPayload(account: InternetAccount, context: ProfileContext): Dict {
  const { email, incoming, outgoing } = account;
  const password = context.includePassword ? account.password : undefined;
  return {
    EmailAccountType: account.kind === 'pop' ? 'EmailTypePOP' : 'EmailTypeIMAP',
    ...compact({
      EmailAccountDescription: context.text.accountDescription,
      EmailAccountName: account.displayName,
      EmailAddress: email.ascii,
    }),
    ...serverKeys('Incoming', incoming),
    ...serverKeys('Outgoing', outgoing),
    OutgoingPasswordSameAsIncomingPassword: outgoing.auth !== 'none' && outgoing.username === incoming.username,
    ...compact({ IncomingPassword: incoming.auth === 'none' ? undefined : password, OutgoingPassword: outgoing.auth === 'none' ? undefined : password }),
  };
}

/**
 * Modern sign-in: `OAuth` (ActiveSync iOS 12+, EWS macOS 10.14+) and the sign-in URL, plus the
 * token URL on iOS (Apple's EWS payload has none); never a password with it.
 */
function oauthKeys(exchange: ExchangeAccount['exchange'], type: MobileconfigPayloadType): Dict {
  if (!exchange.oauth) return {};
  return compact({
    OAuth: true,
    OAuthSignInURL: exchange.oauth.signInUrl,
    OAuthTokenRequestURL: type === 'com.apple.eas.account' ? exchange.oauth.tokenUrl : undefined,
  });
}

function exchangePayload(account: ExchangeAccount, context: ProfileContext, type: MobileconfigPayloadType): Dict {
  const { email, exchange } = account;
  const password = context.includePassword && !exchange.oauth ? account.password : undefined;
  const common = {
    ...compact({ EmailAddress: email.ascii, Host: exchange.host, SSL: exchange.ssl, UserName: exchange.username, Password: password }),
    ...oauthKeys(exchange, type),
  };
  if (type === 'com.apple.ews.account') {
    return { ...common, Port: exchange.port, Path: exchange.path };
  }
  return {
    ...common,
    MailNumberOfPastDaysToSync: DEFAULTS.mailDaysToSync,
    EnableMail: true,
    EnableContacts: true,
    EnableCalendars: true,
    EnableReminders: true,
    EnableNotes: true,
  };
}

// The account field behind each key the person's input reaches, for refusals from the plist writer.
const FIELD_OF_KEY: Readonly<Record<string, string>> = {
  EmailAccountName: 'displayName',
  EmailAddress: 'email',
  IncomingMailServerUsername: 'incoming.username',
  OutgoingMailServerUsername: 'outgoing.username',
  IncomingMailServerHostName: 'incoming.host',
  OutgoingMailServerHostName: 'outgoing.host',
  UserName: 'exchange.username',
  Host: 'exchange.host',
  CalDAVUsername: 'login',
  CardDAVUsername: 'login',
  IncomingPassword: 'password',
  OutgoingPassword: 'password',
  Password: 'password',
  CalDAVPassword: 'password',
  CardDAVPassword: 'password',
};

const fieldOf = (key: string, path: string) => FIELD_OF_KEY[key] ?? path;

/** A payload beside the account's own: its identifier suffix and UUID name are stable per person and role. */
function extraPayload(ids: ProfileIds, type: string, suffix: string, organization: string, body: Dict): Dict {
  return {
    PayloadType: type,
    PayloadVersion: 1,
    PayloadIdentifier: `${ids.identifier}.${suffix}`,
    PayloadUUID: ids.payloadUuid(suffix),
    ...compact({ PayloadOrganization: organization }),
    ...body,
  };
}

/**
 * CalDAV and CardDAV, the same payload shape under two key prefixes (Apple: com.apple.caldav.account,
 * com.apple.carddav.account). Apple defines CardDAVPrincipalURL for iOS only.
 */
const DAV_PAYLOADS = [
  { field: 'caldav', type: 'com.apple.caldav.account', keys: 'CalDAV', principalOnMac: true },
  { field: 'carddav', type: 'com.apple.carddav.account', keys: 'CardDAV', principalOnMac: false },
] as const;

/** CalDAV and CardDAV for the same person. */
function davPayloads(account: Account, context: ProfileContext, ids: ProfileIds): Dict[] {
  if (account.kind === 'exchange') return [];
  const password = context.includePassword ? account.password : undefined;
  const description = context.text.accountDescription;
  return DAV_PAYLOADS.flatMap(({ field, type, keys, principalOnMac }) => {
    const dav = account[field];
    if (!dav) return [];
    const principalUrl = context.device === 'macos' && !principalOnMac ? undefined : dav.principalUrl;
    return [
      extraPayload(ids, type, field, context.organization.name, {
        ...compact({ PayloadDisplayName: description, [`${keys}AccountDescription`]: description }),
        [`${keys}HostName`]: dav.host,
        [`${keys}Port`]: dav.port,
        [`${keys}UseSSL`]: dav.ssl,
        [`${keys}Username`]: dav.username,
        ...compact({ [`${keys}PrincipalURL`]: principalUrl, [`${keys}Password`]: password }),
      }),
    ];
  });
}

/** The provider's CA certificates, installed before the accounts that need them: roots as com.apple.security.root, intermediates as com.apple.security.pem. */
function trustPayloads(account: Account, context: ProfileContext, ids: ProfileIds): Dict[] {
  const org = context.organization;
  return (account.trust ?? []).map((certificate) =>
    extraPayload(
      ids,
      certificate.root ? 'com.apple.security.root' : 'com.apple.security.pem',
      `trust.${certificate.sha256.slice(0, 16).toLowerCase()}`,
      org.name,
      {
        PayloadDisplayName: certificate.name,
        PayloadCertificateFileName: `${certificate.name}.${certificate.root ? 'cer' : 'pem'}`,
        PayloadContent: certificate.root ? derOf(certificate) : Buffer.from(pemOf(certificate), 'ascii'),
      },
    ),
  );
}

/** The profile as a plist object (what the XML encodes); exported for tests and inspection. */
export function buildMobileconfigObject(account: Account, context: FormatContext): Dict {
  return profileObject(account, context, profileIds(context.organization.identifier, account.email));
}

function profileObject(account: Account, context: ProfileContext, ids: ProfileIds): Dict {
  const payloadType = payloadTypeFor(account, context.device);
  const body = account.kind === 'exchange' ? exchangePayload(account, context, payloadType) : mailPayload(account, context);
  const payload: Dict = {
    PayloadType: payloadType,
    PayloadVersion: 1,
    PayloadIdentifier: `${ids.identifier}.${PAYLOAD_SUFFIX[payloadType]}`,
    PayloadUUID: ids.payloadUuid(payloadType),
    ...compact({ PayloadDisplayName: context.text.accountDescription, PayloadOrganization: context.organization.name }),
    ...body,
  };
  const profile: Dict = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: ids.identifier,
    PayloadUUID: ids.uuid,
    ...compact({
      PayloadDisplayName: context.text.profileName,
      PayloadDescription: context.text.profileDescription,
      PayloadOrganization: context.organization.name,
    }),
    ...(context.text.consentText && Object.keys(context.text.consentText).length > 0 ? { ConsentText: context.text.consentText } : {}),
    TargetDeviceType: TARGET_DEVICE_TYPE[context.device],
    ...(context.device === 'macos' ? { PayloadScope: 'User' } : {}),
    PayloadContent: [...trustPayloads(account, context, ids), payload, ...davPayloads(account, context, ids)],
  };
  return profile;
}

// Profiles of one provider differ only in the person's values, so the XML is written once per
// provider, variant and options (a template) and each person's values are filled in. Every value
// still goes through the writer's check and escaping, where it sits, and a refusal names the
// same field as without a template. The template's key is everything the profile is built from
// with the person's values swapped for holes, so no other input can share a template by mistake.

interface ProfileTemplate {
  template: PlistTemplate;
  /** How many of the holes are the person's values (numbered first); the rest are identifiers. */
  values: number;
  ids: readonly ((ids: ProfileIds) => string)[];
}

/** A template with the shape it was compiled for. */
interface KnownTemplate {
  shape: readonly unknown[];
  profile: ProfileTemplate;
}

/** Templates by provider and device (a few per provider: variants, account types, options). */
const templates = new Map<string, KnownTemplate[]>();
let templateCount = 0;
/** Providers × variants × devices × options in use; a bound against shapes made of odd input. */
const TEMPLATE_LIMIT = 500;

// What each field of a profile's input is to a template: the person's own value (a hole), a
// value every profile of the template shares (part of the key), or an object of such fields.
// The tables name every field of their type (a field added to the model and not here does not
// compile), and both the template's shape (its key) and its holes are walked from them, in the
// same order, so the two cannot differ.
type Part = 'person' | 'shared' | Fields;
interface Fields {
  readonly [field: string]: Part;
}

const SERVER_FIELDS: Record<keyof MailServer, Part> = { host: 'shared', port: 'shared', socket: 'shared', auth: 'shared', username: 'person' };
const EXCHANGE_FIELDS: Record<keyof ExchangeServer, Part> = {
  host: 'shared',
  ssl: 'shared',
  port: 'shared',
  path: 'shared',
  username: 'person',
  oauth: { signInUrl: 'shared', tokenUrl: 'shared' } satisfies Record<keyof NonNullable<ExchangeServer['oauth']>, Part>,
};
const DAV_FIELDS: Record<keyof DavServer, Part> = { host: 'shared', port: 'shared', ssl: 'shared', username: 'person', principalUrl: 'person' };
const ACCOUNT_FIELDS: Record<keyof Account, Part> = {
  kind: 'shared',
  email: { address: 'person', ascii: 'person', local: 'person', domain: 'person', asciiDomain: 'person' } satisfies Record<keyof EmailParts, Part>,
  displayName: 'person',
  password: 'person',
  incoming: SERVER_FIELDS,
  outgoing: SERVER_FIELDS,
  exchange: EXCHANGE_FIELDS,
  caldav: DAV_FIELDS,
  carddav: DAV_FIELDS,
  provider: { id: 'shared', name: 'shared', variant: 'shared' } satisfies Record<keyof NonNullable<Account['provider']>, Part>,
  trust: 'shared',
};
const CONTEXT_FIELDS: Record<keyof ProfileContext, Part> = {
  organization: { name: 'shared', identifier: 'shared' } satisfies Record<keyof ProfileContext['organization'], Part>,
  device: 'shared',
  text: { profileName: 'person', profileDescription: 'person', accountDescription: 'person', consentText: 'shared' } satisfies Record<keyof ProfileText, Part>,
  includePassword: 'shared',
};

/** Each table as a list, walked in this order. */
type FieldList = readonly (readonly [string, 'person' | 'shared' | FieldList])[];
const listOf = (fields: Fields): FieldList => Object.entries(fields).map(([name, part]) => [name, typeof part === 'string' ? part : listOf(part)] as const);
const ACCOUNT_LIST = listOf(ACCOUNT_FIELDS);
const CONTEXT_LIST = listOf(CONTEXT_FIELDS);

/**
 * The person's values in the order the walk meets them, each once (equal values share a
 * number, so a comparison in the profile gives the same answer); empty and absent values are
 * not holes, as the profile leaves them out. A profile has a dozen at most: a list is searched.
 */
class PersonValues {
  readonly values: string[] = [];
  /** How many places hold a hole. */
  uses = 0;

  number(value: string): number {
    let n = this.values.indexOf(value);
    if (n === -1) n = this.values.push(value) - 1;
    this.uses++;
    return n;
  }
}

type Input = { readonly [field: string]: unknown };

/** What stands in a shape for what is not a shared value: no shared value is one of these. */
class Mark {
  constructor(readonly what: string) {}
}
const ABSENT = new Mark('absent');
const EMPTY = new Mark('empty');
/** Object fields open and close in the shape, so a value cannot move to a neighbouring field. */
const OPEN = new Mark('open');
const CLOSE = new Mark('close');
const personMarks: Mark[] = [];
const personMark = (n: number) => (personMarks[n] ??= new Mark(`person ${n}`));

/**
 * A template's key: the shared values of its input in table order, with marks for the person's
 * values (by number), empty and absent ones. Made for every profile, so written as a flat list
 * (its values are the input's own, not copies) and compared value by value.
 */
function shapeOf(object: Input, list: FieldList, person: PersonValues, out: unknown[]): void {
  out.push(OPEN);
  for (const [name, part] of list) {
    const value = object[name];
    if (value === undefined) out.push(ABSENT);
    else if (part === 'shared') out.push(value);
    else if (part === 'person') out.push(value === '' ? EMPTY : personMark(person.number(value as string)));
    else shapeOf(value as Input, part, person, out);
  }
  out.push(CLOSE);
}

/** Shared values are strings, numbers, booleans or plain data (certificates, consent texts). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || a instanceof Mark || b instanceof Mark) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameShape(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
  return true;
}

/** The object with each person value swapped for its hole. */
function holedObject(object: Input, list: FieldList, person: PersonValues): Input {
  const out: Record<string, unknown> = {};
  for (const [name, part] of list) {
    const value = object[name];
    if (value === undefined || part === 'shared') out[name] = value;
    else if (part === 'person') out[name] = value === '' ? value : plistHole(person.number(value as string));
    else out[name] = holedObject(value as Input, part, person);
  }
  return out;
}

/** The template's shape and the person's values. */
function templateShape(account: Account, context: ProfileContext) {
  const person = new PersonValues();
  const shape: unknown[] = [];
  shapeOf(account, ACCOUNT_LIST, person, shape);
  shapeOf(context, CONTEXT_LIST, person, shape);
  return { shape, values: person.values };
}

/**
 * The account and context a template is compiled from, holes in place of the person's values;
 * undefined when a hole's mark shows in any other value, which would be taken for a hole: such a
 * value (which no profile can carry anyway) is built without a template, and refused there.
 */
function holed(account: Account, context: ProfileContext) {
  const person = new PersonValues();
  const holedAccount = holedObject(account, ACCOUNT_LIST, person) as Account;
  const holedContext = holedObject(context, CONTEXT_LIST, person) as ProfileContext;
  const text = JSON.stringify([holedAccount, holedContext]);
  let marks = 0;
  for (let at = text.indexOf('\uffff'); at !== -1; at = text.indexOf('\uffff', at + 1)) marks++;
  return marks === person.uses ? { account: holedAccount, context: holedContext, values: person.values } : undefined;
}

function compileTemplate(account: Account, context: ProfileContext, values: number): ProfileTemplate {
  const ids: ((ids: ProfileIds) => string)[] = [];
  const hole = (of: (ids: ProfileIds) => string) => plistHole(values + ids.push(of) - 1);
  const holeIds: ProfileIds = { identifier: hole((i) => i.identifier), uuid: hole((i) => i.uuid), payloadUuid: (role) => hole((i) => i.payloadUuid(role)) };
  return { template: compilePlistTemplate(profileObject(account, context, holeIds), { fieldOf }), values, ids };
}

function templateFor(account: Account, context: FormatContext) {
  // Servers typed by hand are the person's own: only catalog accounts share templates.
  if (account.provider === undefined) return undefined;
  // The shape is cheap and made for every profile; the holes are made only to compile. A shape
  // once compiled was compiled from values without a hole's mark (the rest of the shape is the
  // same values), so a later profile with that shape needs no second look.
  const { shape, values } = templateShape(account, context);
  const bucket = `${account.provider.id}\u0000${context.device}`;
  const known = templates.get(bucket);
  let profile = known?.find((t) => sameShape(t.shape, shape))?.profile;
  if (!profile) {
    // The same walk as the shape's numbers the same values alike: the holes are `values`' own.
    const found = holed(account, context);
    if (!found) return undefined;
    try {
      profile = compileTemplate(found.account, found.context, found.values.length);
    } catch {
      // What the profile cannot carry is refused by the plain build, in its own words.
      return undefined;
    }
    if (templateCount >= TEMPLATE_LIMIT) {
      templates.clear();
      templateCount = 0;
    }
    const entry = { shape, profile };
    const list = templates.get(bucket);
    if (list) list.push(entry);
    else templates.set(bucket, [entry]);
    templateCount++;
  }
  return { template: profile, values };
}

/** The unsigned profile: XML plist, UTF-8. */
export function buildMobileconfig(account: Account, context: FormatContext): Buffer {
  const found = templateFor(account, context);
  if (!found) return Buffer.from(buildPlistXml(buildMobileconfigObject(account, context), { fieldOf }), 'utf8');
  const { template, values } = found;
  const ids = profileIds(context.organization.identifier, account.email);
  return fillPlistTemplate(template.template, (n) => (n < template.values ? values[n]! : template.ids[n - template.values]!(ids)), { fieldOf });
}
