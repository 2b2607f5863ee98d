// Thunderbird autoconfig: clientConfig version 1.1 (draft-ietf-mailmaint-autoconfig, which calls it 1.2 and stays compatible).
//
// Decisions:
// - Servers are written in the provider's preference order; the client takes the first it supports.
// - Unencrypted (`plain`) servers are left out of provider data: a client that fails TLS would
//   otherwise fall back to sending the password in clear. A per-person file built from an account
//   keeps a plain server only when that account was explicitly resolved to it.
// - An Exchange server is listed as an `ews` incoming server after IMAP/POP (clients without
//   EWS support skip it).
// - `enable` sits inside `emailProvider`, where Thunderbird reads it.
// - CalDAV and CardDAV go in `calendar` and `addressbook` sections beside `emailProvider`, as the
//   draft's schema places them (URL, http-basic, login); Autodiscover has no place for them.
// - Thunderbird for Android (RealAutoconfigParser) refuses the whole file when any IMAP or SMTP
//   server lacks `<username>` or an authentication it knows (password-cleartext,
//   password-encrypted, OAuth2): every server names a login, and a server offering only other
//   methods (none, NTLM, GSSAPI) is left out when the same protocol has one the app can use.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { MailsetupError } from '../errors.js';
import type { Account, DavServer, MailServer } from '../model/account.js';
import type { Language, LocalizedText, Provider, ProviderServer, ProviderVariant } from '../model/provider.js';
import { expandLogin, type EmailParts } from '../model/rules.js';
import { ewsUrl } from './activesync-autodiscover.js';
import { exchangeEndpoint } from '../model/provider.js';
import type { FormatContext } from './context.js';
import { oneLineValue } from './value-guard.js';
import { serializeXml } from './xml-serialize.js';

export const AUTOCONFIG_VERSION = '1.1';

export interface AutoconfigOptions {
  /** The person: usernames filled in and `<domain>` their domain. Without it: placeholders. */
  email?: EmailParts;
  /** Texts in this language are listed first (clients pick the one they want by `lang`). */
  language?: Language;
  /** Replaces `%REALNAME%` where a provider's login template uses it. */
  realName?: string;
  /** The person's resolved servers: written first, exactly as given, before the provider's others. */
  preferred?: {
    incoming?: MailServer | undefined;
    outgoing?: MailServer | undefined;
    incomingProtocol?: 'imap' | 'pop3';
    exchangeUsername?: string | undefined;
  };
  /** The person's calendars and contacts (possibly none: mail only) instead of the variant's. */
  dav?: { caldav?: DavServer | undefined; carddav?: DavServer | undefined };
}

/** A `calendar` or `addressbook` section (draft-ietf-mailmaint-autoconfig): the server's URL and login. */
interface DavEntry {
  element: 'calendar' | 'addressbook';
  type: 'caldav' | 'carddav';
  url: string;
  username: string;
}

interface ServerEntry {
  kind: 'incomingServer' | 'outgoingServer';
  type: string;
  hostname?: string;
  port?: number;
  socketType?: string;
  url?: string;
  auth: readonly string[];
  username: string | undefined;
}

const FORMAT = 'autoconfig';

function text(value: string, field: string): string {
  return oneLineValue(value, field, FORMAT);
}

// Clients fill these in wherever they appear in a `username`, so a file for one person must not
// carry them as text: `%EMAILDOMAIN%@mail.ru` would log in as `mail.ru@mail.ru`. The format has
// no way to escape them, so such a login is refused.
const CLIENT_PLACEHOLDER = /%(?:EMAILADDRESS|EMAILLOCALPART|EMAILDOMAIN|REALNAME)%/;

function refuseClientPlaceholders(servers: readonly ServerEntry[], email: EmailParts): void {
  for (const entry of servers) {
    if (entry.username === undefined || !CLIENT_PLACEHOLDER.test(entry.username)) continue;
    // Named after where the text came from: the address, or the login the account was given.
    const role = entry.kind === 'outgoingServer' ? 'outgoing' : entry.type === 'ews' ? 'exchange' : 'incoming';
    const field = CLIENT_PLACEHOLDER.test(email.ascii) ? 'email' : `${role}.username`;
    throw new MailsetupError(
      'INVALID_INPUT',
      `the login "${entry.username}" holds text mail clients read as an autoconfig placeholder (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%, %REALNAME%) and would replace`,
      { field, rule: 'autoconfig-placeholder' },
    );
  }
}

/** Domains whose addresses resolve to this variant (the same rule as the catalog's lookup). */
export function variantDomains(provider: Provider, variant: ProviderVariant): string[] {
  const claimed = (domain: string) => provider.variants.find((v) => v.domains.includes(domain));
  const all = [...new Set([...provider.domains, ...variant.domains])];
  return all.filter((domain) => (claimed(domain) ?? provider.variants[0])?.id === variant.id);
}

function usernameFor(template: string, options: AutoconfigOptions): string {
  return options.email ? expandLogin(template, options.email, options.realName) : template;
}

function providerEntry(server: ProviderServer, provider: Provider, options: AutoconfigOptions): ServerEntry {
  return {
    kind: server.protocol === 'smtp' ? 'outgoingServer' : 'incomingServer',
    type: server.protocol,
    hostname: server.host,
    port: server.port,
    socketType: server.socket,
    auth: server.auth,
    username: usernameFor(server.login ?? provider.login, options),
  };
}

/** Methods every autoconfig client knows, Thunderbird for Android included. */
const PORTABLE_AUTH: readonly string[] = ['password-cleartext', 'password-encrypted', 'OAuth2'];
const portable = (entry: ServerEntry) => entry.auth.some((method) => PORTABLE_AUTH.includes(method));

/** Drops IMAP/SMTP entries no portable method reaches when the same protocol has one that does. */
function withoutUnportable(servers: readonly ServerEntry[]): ServerEntry[] {
  return servers.filter(
    (entry) => entry.type === 'ews' || portable(entry) || !servers.some((other) => other.kind === entry.kind && other.type === entry.type && portable(other)),
  );
}

function accountEntry(server: MailServer, type: 'imap' | 'pop3' | 'smtp'): ServerEntry {
  return {
    kind: type === 'smtp' ? 'outgoingServer' : 'incomingServer',
    type,
    hostname: server.host,
    port: server.port,
    socketType: server.socket,
    auth: [server.auth],
    username: server.auth === 'none' ? undefined : server.username,
  };
}

const sameServer = (a: ServerEntry, b: ServerEntry) =>
  a.kind === b.kind && a.type === b.type && a.hostname === b.hostname && a.port === b.port && a.socketType === b.socketType;

/** Every language of a localized text, the preferred one first; a plain string has no language. */
function languages(value: LocalizedText, preferred: Language | undefined): { lang?: string; text: string }[] {
  if (typeof value === 'string') return [{ text: value }];
  const entries = Object.entries(value).map(([lang, t]) => ({ lang, text: t }));
  return preferred ? [...entries.filter((e) => e.lang === preferred), ...entries.filter((e) => e.lang !== preferred)] : entries;
}

function writeServer(parent: XMLBuilder, entry: ServerEntry, index: number): void {
  const field = `servers.${index}`;
  const element = parent.ele(entry.kind, { type: entry.type });
  if (entry.url !== undefined) element.ele('url').txt(text(entry.url, `${field}.url`));
  if (entry.hostname !== undefined) element.ele('hostname').txt(text(entry.hostname, `${field}.host`));
  if (entry.port !== undefined) element.ele('port').txt(String(entry.port));
  if (entry.socketType !== undefined) element.ele('socketType').txt(entry.socketType);
  for (const method of entry.auth) element.ele('authentication').txt(method);
  if (entry.username !== undefined) element.ele('username').txt(text(entry.username, `${field}.username`));
}

interface DocumentInput {
  dav?: readonly DavEntry[];
  id: string;
  domains: readonly string[];
  displayName: string;
  displayShortName: string;
  servers: readonly ServerEntry[];
  documentation: Provider['documentation'];
  enable: Provider['enable'];
  language: Language | undefined;
}

function serialize(input: DocumentInput): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('clientConfig', { version: AUTOCONFIG_VERSION });
  const provider = root.ele('emailProvider', { id: text(input.id, 'provider.id') });
  for (const domain of input.domains) provider.ele('domain').txt(text(domain, 'domain'));
  provider.ele('displayName').txt(text(input.displayName, 'provider.name'));
  provider.ele('displayShortName').txt(text(input.displayShortName, 'provider.shortName'));
  const ordered = [...input.servers.filter((s) => s.kind === 'incomingServer'), ...input.servers.filter((s) => s.kind === 'outgoingServer')];
  ordered.forEach((entry, index) => writeServer(provider, entry, index));
  input.documentation.forEach((doc, index) => {
    const element = provider.ele('documentation', { url: text(doc.url, `documentation.${index}.url`) });
    for (const descr of languages(doc.description, input.language)) {
      element.ele('descr', descr.lang ? { lang: descr.lang } : {}).txt(text(descr.text, `documentation.${index}.description`));
    }
  });
  if (input.enable) {
    const element = provider.ele('enable', { visiturl: text(input.enable.url, 'enable.url') });
    for (const instruction of languages(input.enable.instruction, input.language)) {
      element.ele('instruction', instruction.lang ? { lang: instruction.lang } : {}).txt(text(instruction.text, 'enable.instruction'));
    }
  }
  (input.dav ?? []).forEach((entry, index) => {
    const element = root.ele(entry.element, { type: entry.type });
    element.ele('url').txt(text(entry.url, `${entry.type}.${index}.url`));
    element.ele('authentication').txt('http-basic');
    element.ele('username').txt(text(entry.username, `${entry.type}.username`));
  });
  return serializeXml(root, FORMAT);
}

const davOrigin = (dav: { host: string; port: number; ssl: boolean }) =>
  `${dav.ssl ? 'https' : 'http'}://${dav.host}${dav.port === (dav.ssl ? 443 : 80) ? '' : `:${dav.port}`}`;

/** The variant's CalDAV/CardDAV (placeholders kept or filled, as the logins are), or the person's own. */
function davEntries(provider: Provider, variant: ProviderVariant, options: AutoconfigOptions): DavEntry[] {
  const kinds = [
    ['calendar', 'caldav'],
    ['addressbook', 'carddav'],
  ] as const;
  return kinds.flatMap(([element, type]): DavEntry[] => {
    if (options.dav) {
      const dav = options.dav[type];
      return dav ? [{ element, type, url: dav.principalUrl ?? `${davOrigin(dav)}/`, username: dav.username }] : [];
    }
    const settings = variant[type];
    if (!settings) return [];
    const path = settings.principal ? usernameFor(settings.principal, options) : '/';
    return [{ element, type, url: `${davOrigin(settings)}${path}`, username: usernameFor(settings.login ?? provider.login, options) }];
  });
}

function exchangeEntry(variant: ProviderVariant, username: string | undefined): ServerEntry | undefined {
  const exchange = variant.exchange;
  if (!exchange) return undefined;
  // Modern sign-in only (Microsoft 365): clients must not offer a password there.
  return { kind: 'incomingServer', type: 'ews', url: ewsUrl(exchangeEndpoint(exchange)), auth: [exchange.oauth ? 'OAuth2' : 'http-basic'], username };
}

/**
 * The autoconfig document of one provider variant. Without `options.email` it is the
 * provider-level file a domain publishes (placeholders kept, every domain of the variant);
 * with it, the file for one person (usernames filled in, `<domain>` their domain).
 */
export function buildAutoconfig(provider: Provider, variant: ProviderVariant, options: AutoconfigOptions = {}): string {
  const fromProvider = variant.servers.filter((server) => !server.insecure).map((server) => providerEntry(server, provider, options));
  const preferred: ServerEntry[] = [];
  if (options.preferred?.incoming) preferred.push(accountEntry(options.preferred.incoming, options.preferred.incomingProtocol ?? 'imap'));
  if (options.preferred?.outgoing) preferred.push(accountEntry(options.preferred.outgoing, 'smtp'));
  const exchangeLogin = variant.exchange ? (options.preferred?.exchangeUsername ?? usernameFor(variant.exchange.login ?? provider.login, options)) : undefined;
  const exchange = exchangeEntry(variant, exchangeLogin);
  // An account's server without a login (auth none) takes the provider's, which the entry it repeats names.
  for (const entry of preferred) entry.username ??= fromProvider.find((p) => sameServer(p, entry))?.username;
  const servers = withoutUnportable([
    ...preferred,
    ...fromProvider.filter((entry) => !preferred.some((p) => sameServer(p, entry))),
    ...(exchange ? [exchange] : []),
  ]);
  if (servers.length === 0) {
    throw new MailsetupError('UNSUPPORTED', `${provider.name} has no encrypted server to publish in an autoconfig file`, {
      field: 'provider',
      rule: 'offered-security',
    });
  }
  if (options.email) refuseClientPlaceholders(servers, options.email);
  const domains = options.email ? [options.email.asciiDomain] : variantDomains(provider, variant);
  return serialize({
    dav: davEntries(provider, variant, options),
    id: domains[0] ?? provider.id,
    domains,
    displayName: provider.name,
    displayShortName: provider.shortName,
    servers,
    documentation: provider.documentation,
    enable: provider.enable,
    language: options.language,
  });
}

/**
 * The `autoconfig` format for one person: with a catalog provider, the account's own servers
 * first and the provider's other encrypted servers as alternatives, all with the variant's
 * logins (a login the person typed is already on every server of `context.variant`: resolve
 * puts it there); without one (servers typed by hand), just the account's servers.
 */
export function buildAutoconfigForAccount(account: Account, context: FormatContext): string {
  const { email } = account;
  const realName = account.displayName;
  const incomingProtocol = account.kind === 'pop' ? 'pop3' : 'imap';
  if (context.provider && context.variant) {
    return buildAutoconfig(context.provider, context.variant, {
      email,
      language: context.language,
      ...(realName ? { realName } : {}),
      preferred: { incoming: account.incoming, outgoing: account.outgoing, incomingProtocol, exchangeUsername: account.exchange?.username },
      dav: { caldav: account.caldav, carddav: account.carddav },
    });
  }
  const servers: ServerEntry[] = [];
  if (account.incoming) servers.push(accountEntry(account.incoming, incomingProtocol));
  if (account.outgoing) servers.push(accountEntry(account.outgoing, 'smtp'));
  if (account.exchange) {
    servers.push({
      kind: 'incomingServer',
      type: 'ews',
      url: ewsUrl(account.exchange),
      auth: [account.exchange.oauth ? 'OAuth2' : 'http-basic'],
      username: account.exchange.username,
    });
  }
  refuseClientPlaceholders(servers, email);
  return serialize({
    id: email.asciiDomain,
    domains: [email.asciiDomain],
    displayName: email.domain,
    displayShortName: email.domain,
    servers,
    documentation: [],
    enable: undefined,
    language: context.language,
  });
}
