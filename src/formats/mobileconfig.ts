// Apple configuration profile (.mobileconfig): TopLevel with one com.apple.mail.managed,
// com.apple.eas.account (iOS) or com.apple.ews.account (macOS) payload, per Apple's device-management schema,
// plus the provider's CA certificates (com.apple.security.root / .pem) before it and CalDAV and
// CardDAV (com.apple.caldav.account / .carddav.account) after it, all in one install.
import type { PlistValue } from 'plist';
import type { Account, AuthMethod, ExchangeAccount, InternetAccount, MailServer } from '../model/account.js';
import { DEFAULTS } from '../model/defaults.js';
import { organizationNamespace, uuidV5 } from '../model/identifiers.js';
import { derOf, pemOf } from '../model/trust.js';
import type { EmailParts } from '../model/rules.js';
import type { FormatContext } from './context.js';
import { buildPlistXml } from './plist-xml.js';

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

/**
 * Identity of a profile: one per organisation and address, whatever the account type, so a
 * reinstall (or a switch from POP to IMAP) replaces the earlier profile instead of adding one.
 */
export function profileIdentity(organizationIdentifier: string, email: EmailParts, payloadType: MobileconfigPayloadType) {
  const namespace = organizationNamespace(organizationIdentifier);
  const person = email.ascii.toLowerCase();
  const profileUuid = uuidV5(namespace, `profile:${person}`);
  const identifier = `${organizationIdentifier}.account.${profileUuid.toLowerCase()}`;
  return {
    identifier,
    uuid: profileUuid,
    payloadIdentifier: `${identifier}.${PAYLOAD_SUFFIX[payloadType]}`,
    payloadUuid: uuidV5(namespace, `payload:${person}:${payloadType}`),
  };
}

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

function mailPayload(account: InternetAccount, context: FormatContext): Dict {
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

function exchangePayload(account: ExchangeAccount, context: FormatContext, type: MobileconfigPayloadType): Dict {
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
function extraPayload(organizationIdentifier: string, email: EmailParts, type: string, suffix: string, organization: string, body: Dict): Dict {
  const ids = profileIdentity(organizationIdentifier, email, 'com.apple.mail.managed');
  const namespace = organizationNamespace(organizationIdentifier);
  return {
    PayloadType: type,
    PayloadVersion: 1,
    PayloadIdentifier: `${ids.identifier}.${suffix}`,
    PayloadUUID: uuidV5(namespace, `payload:${email.ascii.toLowerCase()}:${suffix}`),
    ...compact({ PayloadOrganization: organization }),
    ...body,
  };
}

/** CalDAV and CardDAV for the same person (Apple: com.apple.caldav.account, com.apple.carddav.account). */
function davPayloads(account: Account, context: FormatContext): Dict[] {
  if (account.kind === 'exchange') return [];
  const password = context.includePassword ? account.password : undefined;
  const org = context.organization;
  const out: Dict[] = [];
  const description = context.text.accountDescription;
  if (account.caldav) {
    const dav = account.caldav;
    out.push(
      extraPayload(org.identifier, account.email, 'com.apple.caldav.account', 'caldav', org.name, {
        ...compact({ PayloadDisplayName: description, CalDAVAccountDescription: description }),
        CalDAVHostName: dav.host,
        CalDAVPort: dav.port,
        CalDAVUseSSL: dav.ssl,
        CalDAVUsername: dav.username,
        ...compact({ CalDAVPrincipalURL: dav.principalUrl, CalDAVPassword: password }),
      }),
    );
  }
  if (account.carddav) {
    const dav = account.carddav;
    out.push(
      extraPayload(org.identifier, account.email, 'com.apple.carddav.account', 'carddav', org.name, {
        ...compact({ PayloadDisplayName: description, CardDAVAccountDescription: description }),
        CardDAVHostName: dav.host,
        CardDAVPort: dav.port,
        CardDAVUseSSL: dav.ssl,
        CardDAVUsername: dav.username,
        // Apple defines CardDAVPrincipalURL for iOS only.
        ...compact({ CardDAVPrincipalURL: context.device === 'macos' ? undefined : dav.principalUrl, CardDAVPassword: password }),
      }),
    );
  }
  return out;
}

/** The provider's CA certificates, installed before the accounts that need them: roots as com.apple.security.root, intermediates as com.apple.security.pem. */
function trustPayloads(account: Account, context: FormatContext): Dict[] {
  const org = context.organization;
  return (account.trust ?? []).map((certificate) =>
    extraPayload(
      org.identifier,
      account.email,
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
  const payloadType = payloadTypeFor(account, context.device);
  const ids = profileIdentity(context.organization.identifier, account.email, payloadType);
  const body = account.kind === 'exchange' ? exchangePayload(account, context, payloadType) : mailPayload(account, context);
  const payload: Dict = {
    PayloadType: payloadType,
    PayloadVersion: 1,
    PayloadIdentifier: ids.payloadIdentifier,
    PayloadUUID: ids.payloadUuid,
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
    PayloadContent: [...trustPayloads(account, context), payload, ...davPayloads(account, context)],
  };
  return profile;
}

/** The unsigned profile: UTF-8 XML plist text. */
export function buildMobileconfig(account: Account, context: FormatContext): string {
  return buildPlistXml(buildMobileconfigObject(account, context), { fieldOf });
}
