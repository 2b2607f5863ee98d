// View models for pages and the lookup API: what a provider offers, in the reader's language.
// Labels come from templates/locales; this module only chooses and arranges them.
import type { Translate } from '../i18n.js';
import { SOCKET_TYPES, type Account, type AccountKind, type MailServer, type SocketType } from '../model/account.js';
import { exchangeEndpoint, localize, providerName, type Language, type Provider, type ProviderServer, type ProviderVariant } from '../model/provider.js';
import { expandLogin, isEmailParts, parseEmail, type EmailParts } from '../model/rules.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { kindsOffered, type ResolvedAccount } from '../service/resolve.js';

export interface ServerRow {
  role: 'incoming' | 'outgoing' | 'exchange';
  label: string;
  protocol: string;
  host: string;
  port: number | undefined;
  socket: SocketType | undefined;
  security: string;
  insecure: boolean;
  login: string | undefined;
}

const PROTOCOL_NAME: Record<string, string> = { imap: 'IMAP', pop3: 'POP3', pop: 'POP3', smtp: 'SMTP', exchange: 'Exchange' };

export function securityLabel(socket: SocketType, t: Translate): string {
  return t(`web.security.${socket}`);
}

export function kindLabel(kind: AccountKind, t: Translate): string {
  return t(`web.kind.${kind}`);
}

/** Exchange (ActiveSync, EWS) speaks HTTPS, or HTTP when a catalog says so; the port is that one. */
function exchangeRow(host: string, ssl: boolean, port: number, login: string | undefined, t: Translate): ServerRow {
  const socket: SocketType = ssl ? 'SSL' : 'plain';
  return {
    role: 'exchange',
    label: t('web.server.exchange'),
    protocol: 'Exchange',
    host,
    port,
    socket,
    security: securityLabel(socket, t),
    insecure: !ssl,
    login,
  };
}

/** The servers an account will use, as rows for the "what you will get" summary. */
export function accountRows(account: Account, t: Translate): ServerRow[] {
  if (account.kind === 'exchange') return [exchangeRow(account.exchange.host, account.exchange.ssl, account.exchange.port, account.exchange.username, t)];
  return [
    serverRow('incoming', PROTOCOL_NAME[account.kind]!, account.incoming, account.incoming.username, t),
    serverRow('outgoing', 'SMTP', account.outgoing, account.outgoing.username, t),
  ];
}

/** One server as a row of the tables people read: its role and protocol in words, host, port, security, login. */
export function serverRow(
  role: 'incoming' | 'outgoing',
  protocol: string,
  server: Pick<MailServer, 'host' | 'port' | 'socket'>,
  login: string | undefined,
  t: Translate,
): ServerRow {
  return {
    role,
    label: t(`web.server.${role}`, { protocol }),
    protocol,
    host: server.host,
    port: server.port,
    socket: server.socket,
    security: securityLabel(server.socket, t),
    insecure: server.socket === 'plain',
    login,
  };
}

/** A login template in words when no address is known ("name@corp.nstu.ru"). */
function loginInWords(template: string, t: Translate, email?: EmailParts): string {
  if (email) return expandLogin(template, email);
  return template
    .replaceAll('%EMAILADDRESS%', t('web.login.address'))
    .replaceAll('%EMAILLOCALPART%', t('web.login.local'))
    .replaceAll('%EMAILDOMAIN%', t('web.login.domain'));
}

/** Every server of a variant in the provider's order, for the manual settings tables. */
export function variantRows(
  provider: Provider,
  variant: ProviderVariant,
  t: Translate,
  email?: EmailParts,
): { incoming: ServerRow[]; outgoing: ServerRow[]; exchange: ServerRow[] } {
  const row = (server: ProviderServer): ServerRow => ({
    role: server.protocol === 'smtp' ? 'outgoing' : 'incoming',
    label: PROTOCOL_NAME[server.protocol]!,
    protocol: PROTOCOL_NAME[server.protocol]!,
    host: server.host,
    port: server.port,
    socket: server.socket,
    security: securityLabel(server.socket, t),
    insecure: server.insecure,
    login: loginInWords(server.login ?? provider.login, t, email),
  });
  const exchange = variant.exchange
    ? [
        exchangeRow(
          variant.exchange.host,
          variant.exchange.ssl,
          exchangeEndpoint(variant.exchange).port,
          loginInWords(variant.exchange.login ?? provider.login, t, email),
          t,
        ),
      ]
    : [];
  return {
    incoming: variant.servers.filter((s) => s.protocol !== 'smtp').map(row),
    outgoing: variant.servers.filter((s) => s.protocol === 'smtp').map(row),
    exchange,
  };
}

/** A variant's servers for the tables of settings to type in; one login for every server (the usual case) is said once, not in a column. */
export function settingsTables(provider: Provider, variant: ProviderVariant, t: Translate, email?: EmailParts) {
  const rows = variantRows(provider, variant, t, email);
  const login = loginInWords(provider.login, t, email);
  const servers = [...rows.incoming, ...rows.outgoing];
  return {
    ...rows,
    login,
    loginColumn: servers.some((row) => row.login !== login),
    // The warning about unencrypted servers only where the table lists one.
    hasInsecure: servers.some((row) => row.insecure),
  };
}

export function parsedEmail(value: unknown): EmailParts | undefined {
  if (typeof value !== 'string') return undefined;
  const parts = parseEmail(value);
  return isEmailParts(parts) ? parts : undefined;
}

export function variantChoices(provider: Provider, selected: string | undefined, language: Language) {
  return provider.variants.map((v) => ({ id: v.id, label: localize(v.name, language, v.id), selected: v.id === selected }));
}

export function securityChoices(selected: string | undefined, t: Translate) {
  return SOCKET_TYPES.map((socket) => ({ id: socket, label: securityLabel(socket, t), selected: socket === selected }));
}

/** Providers that host any domain: what an unknown address may be using. */
export function hostingProviders(catalog: ProviderCatalog, language: Language): { id: string; name: string }[] {
  return catalog
    .list()
    .filter((p) => p.anyDomain)
    .map((p) => ({ id: p.id, name: providerName(p, language) }));
}

/** The account types as a select: short names that fit a phone, and what each means in a hint below. */
export function kindChoices(variant: ProviderVariant, selected: AccountKind | undefined, t: Translate) {
  return kindsOffered(variant).map((kind) => ({ id: kind, label: t(`web.kind.short.${kind}`), hint: t(`web.kind.hint.${kind}`), selected: kind === selected }));
}

/** Mail programs that take settings typed in, in the order offered when the device says nothing. */
export const PROGRAMS = ['thunderbird', 'android', 'windowsMail', 'thebat'] as const;
export type Program = (typeof PROGRAMS)[number];

/** Each program's steps (`web.clients.<program>.step1` …, as many as the locale has); `first` leads. */
export function programSteps(t: Translate, first?: Program) {
  const order = first ? [first, ...PROGRAMS.filter((p) => p !== first)] : [...PROGRAMS];
  return order.map((id) => {
    const steps: string[] = [];
    for (let n = 1; ; n++) {
      const key = `web.clients.${id}.step${n}`;
      const text = t(key);
      if (text === key) break;
      steps.push(text);
    }
    return { id, heading: t(`web.clients.${id}`), steps };
  });
}

/** Provider facts shown beside settings: the step to take first, notes, help pages, webmail. */
/** Where each of a variant's trusted certificates is downloaded, as DER (.cer) and PEM (.crt). */
export function certificateLinks(provider: Provider, variant: ProviderVariant | undefined) {
  return (variant?.trust ?? []).map((certificate) => {
    const base = `/certificates/${provider.id}/${variant!.id}/${certificate.sha256.slice(0, 16).toLowerCase()}`;
    return {
      name: certificate.name,
      root: certificate.root,
      cer: `${base}.cer`,
      crt: `${base}.crt`,
      fingerprint: certificate.sha256.replace(/(..)(?!$)/g, '$1:'),
    };
  });
}

export function providerExtras(provider: Provider, variant: ProviderVariant | undefined, language: Language) {
  const certificates = certificateLinks(provider, variant);
  return {
    certificates: certificates.length > 0 ? certificates : undefined,
    enable: provider.enable ? { url: provider.enable.url, instruction: localize(provider.enable.instruction, language) } : undefined,
    notes: provider.notes.map((note) => ({
      text: localize(note.text, language),
      url: note.url,
      link: note.link === undefined ? undefined : localize(note.link, language),
    })),
    appPassword: provider.appPassword && { url: provider.appPassword.url, providerName: providerName(provider, language) },
    documentation: provider.documentation.map((d) => ({ url: d.url, description: localize(d.description, language, d.url) })),
    webmail: variant?.webmail,
    owa: variant?.exchange?.owa,
  };
}

/** The resolved account as the JSON API and the page summary describe it. */
export function describeResolved(resolved: ResolvedAccount, t: Translate, language: Language) {
  const { provider, variant, account } = resolved;
  return {
    email: resolved.email.address,
    provider: provider ? { id: provider.id, name: providerName(provider, language) } : undefined,
    variant: provider && variant ? { id: variant.id, name: localize(variant.name, language, variant.id) } : undefined,
    type: account.kind,
    typeLabel: kindLabel(account.kind, t),
    servers: accountRows(account, t),
  };
}
