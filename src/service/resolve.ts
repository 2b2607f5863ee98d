// Resolves an account request against the provider catalog: provider, variant, account type,
// servers (implicit TLS by default, plain only when asked), login. The result is a valid Account.
import { MailsetupError } from '../errors.js';
import { accountSchema, type Account, type AccountKind, type AuthMethod, type SocketType } from '../model/account.js';
import { DEFAULTS, DEFAULT_PORTS, SOCKET_PREFERENCE, protocolOf, type MailProtocol } from '../model/defaults.js';
import { exchangeEndpoint, type DavSettings, type Provider, type ProviderServer, type ProviderVariant } from '../model/provider.js';
import type { AccountRequest } from '../model/request.js';
import { expandLogin, httpsUrl, loginValue, type EmailParts } from '../model/rules.js';
import { parseWith, renameFields, requestFieldOf } from '../model/validate.js';
import { variantOf, type ProviderCatalog } from '../providers/catalog.js';

/** Methods a device profile can carry; OAuth2 and GSSAPI need an interactive sign-in instead. */
const PROFILE_AUTH: readonly AuthMethod[] = ['password-cleartext', 'password-encrypted', 'NTLM', 'none'];

/** A warning for the person, translated by whoever shows it (`templates/locales`). */
export interface ResolveWarning {
  key: 'warning.unencrypted' | 'warning.domainNotListed' | 'warning.oauthOnly' | 'warning.oauthNoPassword';
  values: Record<string, string | number>;
}

export interface ResolvedAccount {
  account: Account;
  provider: Provider | undefined;
  variant: ProviderVariant | undefined;
  /** The account's address in parts (`account.email`). */
  email: EmailParts;
  warnings: ResolveWarning[];
}

export function kindsOffered(variant: ProviderVariant): AccountKind[] {
  const has = (protocol: MailProtocol) => variant.servers.some((s) => s.protocol === protocol);
  const smtp = has('smtp');
  return DEFAULTS.kindPreference.filter((kind) => (kind === 'exchange' ? variant.exchange !== undefined : smtp && has(protocolOf(kind))));
}

/** The server to use: the first of the asked security, else the first implicit-TLS, else STARTTLS. */
export function chooseServer(variant: ProviderVariant, protocol: MailProtocol, security: SocketType | undefined, field: string): ProviderServer {
  const candidates = variant.servers.filter((s) => s.protocol === protocol);
  const wanted = security ? [security] : SOCKET_PREFERENCE;
  for (const socket of wanted) {
    const server = candidates.find((s) => s.socket === socket);
    if (server) return server;
  }
  const offered = [...new Set(candidates.map((s) => s.socket))].join(', ') || 'none';
  throw new MailsetupError(
    'UNSUPPORTED',
    security
      ? `${protocol.toUpperCase()} with ${security} is not offered (offered: ${offered})`
      : `${protocol.toUpperCase()} has no encrypted server; choose plain explicitly to use an unencrypted one`,
    { field, rule: 'offered-security' },
  );
}

function authFor(server: ProviderServer, field: string): AuthMethod {
  const auth = server.auth.find((method) => PROFILE_AUTH.includes(method));
  if (!auth) {
    throw new MailsetupError('UNSUPPORTED', `${server.host} only offers ${server.auth.join(', ')}, which setup files cannot carry`, {
      field,
      rule: 'auth-method',
    });
  }
  return auth;
}

/** A variant whose only way in is Exchange with modern sign-in (Microsoft 365): no password works there. */
export function oauthOnly(variant: ProviderVariant): boolean {
  return variant.exchange?.oauth !== undefined && kindsOffered(variant).every((kind) => kind === 'exchange');
}

function pickKind(requested: AccountKind | undefined, variant: ProviderVariant, provider: Provider, warnings: ResolveWarning[]): AccountKind {
  const offered = kindsOffered(variant);
  if (requested) {
    if (requested !== 'exchange' && oauthOnly(variant)) {
      warnings.push({ key: 'warning.oauthOnly', values: { provider: provider.name, type: requested.toUpperCase() } });
      return 'exchange';
    }
    if (!offered.includes(requested)) {
      throw new MailsetupError('UNSUPPORTED', `${provider.name} does not offer ${requested} accounts (offered: ${offered.join(', ')})`, {
        field: 'type',
        rule: 'offered-type',
      });
    }
    return requested;
  }
  const first = offered[0];
  if (!first) throw new MailsetupError('UNSUPPORTED', `${provider.name} offers no account type`, { field: 'type', rule: 'offered-type' });
  return first;
}

/**
 * The variant as this person uses it. A login they gave is theirs on every server of the account,
 * so it replaces the provider's templates here, once: the account's servers and every format that
 * lists the variant's other servers (autoconfig's alternatives) read the same logins.
 */
function personalVariant(variant: ProviderVariant, login: string | undefined): ProviderVariant {
  if (login === undefined) return variant;
  return {
    ...variant,
    servers: variant.servers.map((server) => ({ ...server, login })),
    exchange: variant.exchange && { ...variant.exchange, login },
  };
}

function fromProvider(
  request: AccountRequest,
  email: EmailParts,
  provider: Provider,
  warnings: ResolveWarning[],
): { input: unknown; variant: ProviderVariant } {
  const variant = personalVariant(variantOf(provider, request.variant, email.asciiDomain), request.login);
  const kind = pickKind(request.type, variant, provider, warnings);
  const login = (template: string | undefined) => expandLogin(template ?? provider.login, email);
  const trust = variant.trust.length > 0 ? { trust: variant.trust } : {};
  if (kind === 'exchange') {
    const exchange = variant.exchange!;
    const oauth = exchange.oauth && {
      ...(exchange.oauth.signIn ? { signInUrl: exchange.oauth.signIn } : {}),
      ...(exchange.oauth.token ? { tokenUrl: exchange.oauth.token } : {}),
    };
    return {
      variant,
      input: {
        kind,
        email,
        displayName: request.name,
        exchange: { ...exchangeEndpoint(exchange), username: login(exchange.login), ...(oauth ? { oauth } : {}) },
        ...trust,
      },
    };
  }
  // Calendars and contacts for the same person, unless they asked for mail only.
  const dav = (settings: DavSettings | undefined) => {
    if (!settings || request.mailOnly) return undefined;
    const scheme = settings.ssl ? 'https' : 'http';
    const origin = `${scheme}://${settings.host}${settings.port === (settings.ssl ? 443 : 80) ? '' : `:${settings.port}`}`;
    return {
      host: settings.host,
      port: settings.port,
      ssl: settings.ssl,
      username: login(settings.login),
      ...(settings.principal ? { principalUrl: `${origin}${encodeURI(expandLogin(settings.principal, email))}` } : {}),
    };
  };
  const calendars = { caldav: dav(variant.caldav), carddav: dav(variant.carddav) };
  const server = (protocol: MailProtocol, field: string) => {
    const chosen = chooseServer(variant, protocol, request.security, 'security');
    if (chosen.insecure) warnings.push({ key: 'warning.unencrypted', values: { server: `${chosen.host}:${chosen.port}` } });
    const auth = authFor(chosen, field);
    return { host: chosen.host, port: chosen.port, socket: chosen.socket, auth, ...(auth === 'none' ? {} : { username: login(chosen.login) }) };
  };
  return {
    variant,
    input: {
      kind,
      email,
      displayName: request.name,
      incoming: server(protocolOf(kind), 'incoming'),
      outgoing: server('smtp', 'outgoing'),
      ...(calendars.caldav ? { caldav: calendars.caldav } : {}),
      ...(calendars.carddav ? { carddav: calendars.carddav } : {}),
      ...trust,
    },
  };
}

/**
 * The catalog provider that must answer instead of servers typed by hand: the address's own
 * provider, or the one whose Exchange host was typed, when that provider takes modern sign-in
 * only (a password IMAP or POP setup to Microsoft 365 would never connect).
 */
function oauthProviderFor(request: AccountRequest, catalog: ProviderCatalog): Provider | undefined {
  const own = catalog.findByDomain(request.email.asciiDomain);
  if (own && own.variants.every(oauthOnly)) return own;
  const typed = [request.manual?.incoming.host, request.manual?.outgoing.host].filter((h): h is string => h !== undefined).map((h) => h.toLowerCase());
  return catalog.list().find((p) => p.variants.every(oauthOnly) && p.variants.some((v) => typed.includes(v.exchange!.host.toLowerCase())));
}

function fromManual(request: AccountRequest, email: EmailParts, manual: NonNullable<AccountRequest['manual']>, warnings: ResolveWarning[]): unknown {
  const kind = request.type ?? 'imap';
  if (kind === 'exchange') {
    throw new MailsetupError('UNSUPPORTED', 'Exchange accounts need a provider in the catalog', { field: 'type', rule: 'offered-type' });
  }
  const username = expandLogin(request.login ?? DEFAULTS.login, email);
  const server = (protocol: MailProtocol, given: typeof manual.incoming) => {
    const socket = given.socket ?? DEFAULTS.socket;
    if (socket === 'plain') warnings.push({ key: 'warning.unencrypted', values: { server: given.host } });
    return { host: given.host, port: given.port ?? DEFAULT_PORTS[protocol][socket], socket, auth: DEFAULTS.auth, username };
  };
  return {
    kind,
    email,
    displayName: request.name,
    incoming: server(protocolOf(kind), manual.incoming),
    outgoing: server('smtp', manual.outgoing),
  };
}

/**
 * A catalog account without a second pass through the account schema, when that pass could not
 * change or refuse it: the person's values came through the request's schema and the
 * provider's through the catalog's (the same rules, already in their checked form), so what is
 * new here is only what resolve made of them, the logins filled in from templates and the
 * principal URLs. Those are checked; anything they fail goes through the whole schema, for the
 * refusal every other path gives. Undefined: not taken.
 */
function catalogAccount(input: object): Account | undefined {
  const account = input as Account;
  const servers = [account.incoming, account.outgoing, account.exchange, account.caldav, account.carddav];
  for (const server of servers) {
    if (server?.username !== undefined && !loginValue.safeParse(server.username).success) return undefined;
  }
  for (const dav of [account.caldav, account.carddav]) {
    if (dav?.principalUrl === undefined) continue;
    const checked = httpsUrl.safeParse(dav.principalUrl);
    if (!checked.success || checked.data !== dav.principalUrl) return undefined;
  }
  return account;
}

export function resolveAccount(request: AccountRequest, catalog: ProviderCatalog): ResolvedAccount {
  const { email } = request;
  const warnings: ResolveWarning[] = [];
  let input: unknown;
  let provider: Provider | undefined;
  let variant: ProviderVariant | undefined;
  const oauthInstead = request.manual && !request.provider ? oauthProviderFor(request, catalog) : undefined;
  if (oauthInstead) {
    warnings.push({ key: 'warning.oauthOnly', values: { provider: oauthInstead.name, type: (request.type ?? 'imap').toUpperCase() } });
  }
  if (request.manual && !request.provider && !oauthInstead) {
    input = fromManual(request, email, request.manual, warnings);
  } else {
    provider = oauthInstead ?? (request.provider ? catalog.get(request.provider) : catalog.forDomain(email.asciiDomain));
    if (request.provider && !provider.anyDomain && provider.domains.length > 0 && !provider.domains.includes(email.asciiDomain)) {
      warnings.push({ key: 'warning.domainNotListed', values: { provider: provider.name, domain: email.domain } });
    }
    ({ input, variant } = fromProvider(request, email, provider, warnings));
  }
  const oauth = (input as { exchange?: { oauth?: unknown } }).exchange?.oauth !== undefined;
  // Modern sign-in never takes a password: one given is dropped, and the person is told.
  if (oauth && request.password) warnings.push({ key: 'warning.oauthNoPassword', values: {} });
  const withExtras = {
    ...(input as object),
    ...(request.password && !oauth ? { password: request.password } : {}),
    ...(provider && variant ? { provider: { id: provider.id, name: provider.shortName, variant: variant.id } } : {}),
  };
  let account: Account;
  try {
    account = (provider && catalogAccount(withExtras)) || parseWith(accountSchema, withExtras);
  } catch (thrown) {
    // The account schema names its own fields; the person filled in the request's.
    throw renameFields(thrown, (field) => requestFieldOf(field, request.login !== undefined));
  }
  const unique = warnings.filter((w, i) => warnings.findIndex((o) => o.key === w.key && JSON.stringify(o.values) === JSON.stringify(w.values)) === i);
  return { account, provider, variant, email: account.email, warnings: unique };
}
