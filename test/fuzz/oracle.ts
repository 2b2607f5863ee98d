// What a request must give, written from the documented rules rather than from the code under
// test: either the refusals it may get (field the person filled in, and the rule), or the values
// every file must carry back exactly after the documented normalisations (NFC, trim, punycode
// domain, lower-case domain).
import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import type { FuzzCase } from './cases.js';

/** A refusal the request may get: the field named, and the rules that may be given for it. */
export interface Refusal {
  field: string;
  rules: readonly string[];
}

export interface ExpectedServer {
  /** Only for servers typed by hand; catalog servers are not hostile input. */
  host?: string;
  port?: number;
  login: string;
}

export interface ExpectedValues {
  kind: 'imap' | 'pop' | 'exchange';
  /** Local part as typed, domain in Unicode. */
  address: string;
  /** Local part as typed, domain in punycode. */
  ascii: string;
  asciiDomain: string;
  name: string | undefined;
  password: string | undefined;
  incoming?: ExpectedServer;
  outgoing?: ExpectedServer;
  exchangeLogin?: string;
  /** The login the provider's own template gives (alternative servers in autoconfig). */
  providerLogin?: string;
  /** Whether the Outlook files include a PRF (no PRF for Exchange from Outlook 2016 on). */
  withPrf: boolean;
}

export interface Expectation {
  /** Empty: the request must succeed. Otherwise it must be refused with one of these. */
  refusals: Refusal[];
  values?: ExpectedValues;
}

// The documented text rule: controls and line breaks are refused everywhere; so is what XML 1.0
// cannot carry (U+FFFE, U+FFFF, unpaired surrogates).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const NOT_XML = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const LOCAL_FORBIDDEN = /[\s"(),:;<>@[\\\]]/u;
const LDH = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOKEN = /%[A-Z]+%/g;
const KNOWN = ['%EMAILADDRESS%', '%EMAILLOCALPART%', '%EMAILDOMAIN%'];
/** What clients expand in an autoconfig `username` (so a literal one would be expanded again). */
const CLIENT_PLACEHOLDERS = /%(EMAILADDRESS|EMAILLOCALPART|EMAILDOMAIN|REALNAME)%/;
const QUOTED = /^(["']).*\1$/su;

const PROVIDER_LOGIN: Record<string, string> = {
  nstu: '%EMAILLOCALPART%@corp.nstu.ru',
  mailru: '%EMAILADDRESS%',
  yandex: '%EMAILADDRESS%',
  rackcorp: '%EMAILADDRESS%',
};
const DOMAIN_PROVIDER: Record<string, string> = {
  'nstu.ru': 'nstu',
  'mail.ru': 'mailru',
  'bk.ru': 'mailru',
  'inbox.ru': 'mailru',
  'yandex.ru': 'yandex',
  'yandex.com': 'yandex',
  'ya.ru': 'yandex',
};
const DEFAULT_PORT = {
  imap: { SSL: 993, STARTTLS: 143, plain: 143 },
  pop: { SSL: 995, STARTTLS: 110, plain: 110 },
  smtp: { SSL: 465, STARTTLS: 587, plain: 25 },
};

const blank = (value: unknown) => value === undefined || (typeof value === 'string' && value.trim() === '');

function asciiHost(value: string): string | undefined {
  if (CONTROL.test(value)) return undefined;
  const trimmed = value.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 253) return undefined;
  if (isIP(trimmed)) return trimmed;
  const ascii = domainToASCII(trimmed.normalize('NFC'));
  if (ascii === '' || ascii.length > 253) return undefined;
  return ascii.split('.').every((label) => LDH.test(label)) ? ascii : undefined;
}

interface Email {
  local: string;
  asciiDomain: string;
  address: string;
  ascii: string;
}

function email(raw: unknown, refusals: Refusal[]): Email | undefined {
  if (typeof raw !== 'string') {
    refusals.push({ field: 'email', rules: ['type', 'required'] });
    return undefined;
  }
  const text = raw.trim().normalize('NFC');
  const rules: string[] = [];
  if (text === '') rules.push('required');
  if (CONTROL.test(raw)) rules.push('no-control-characters');
  if (NOT_XML.test(raw)) rules.push('xml-character');
  if (text.length > 254) rules.push('max-length');
  const at = text.lastIndexOf('@');
  let parts: Email | undefined;
  if (at <= 0 || at === text.length - 1) rules.push('email-format');
  else {
    const local = text.slice(0, at);
    const asciiDomain = asciiHost(text.slice(at + 1));
    if (local.length > 64 || LOCAL_FORBIDDEN.test(local) || CONTROL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
      rules.push('email-local-part');
    }
    if (!asciiDomain || isIP(asciiDomain) || !asciiDomain.includes('.')) rules.push('email-domain');
    else parts = { local, asciiDomain, address: `${local}@${domainToUnicode(asciiDomain) || asciiDomain}`, ascii: `${local}@${asciiDomain}` };
  }
  if (rules.length > 0) {
    refusals.push({ field: 'email', rules });
    return undefined;
  }
  return parts;
}

function name(raw: unknown, refusals: Refusal[]): string | undefined {
  if (blank(raw)) return undefined;
  if (typeof raw !== 'string') {
    refusals.push({ field: 'name', rules: ['type'] });
    return undefined;
  }
  const text = raw.normalize('NFC').trim();
  const rules: string[] = [];
  if (CONTROL.test(text)) rules.push('no-control-characters');
  if (NOT_XML.test(text)) rules.push('xml-character');
  if (text.length > 128) rules.push('max-length');
  if (rules.length > 0) refusals.push({ field: 'name', rules });
  return text;
}

function loginTemplate(raw: unknown, refusals: Refusal[]): string | undefined {
  if (blank(raw)) return undefined;
  if (typeof raw !== 'string') {
    refusals.push({ field: 'login', rules: ['type'] });
    return undefined;
  }
  const text = raw.trim();
  const rules: string[] = [];
  if (CONTROL.test(text) || /\s/u.test(text)) rules.push('login-format');
  if (NOT_XML.test(text)) rules.push('xml-character');
  if (text.length > 256) rules.push('max-length');
  if ((text.match(TOKEN) ?? []).some((token) => !KNOWN.includes(token))) rules.push('login-placeholder');
  if (rules.length > 0) refusals.push({ field: 'login', rules });
  return text;
}

function password(raw: unknown, refusals: Refusal[]): string | undefined {
  if (blank(raw)) return undefined;
  if (typeof raw !== 'string') {
    refusals.push({ field: 'password', rules: ['type'] });
    return undefined;
  }
  const rules: string[] = [];
  if (raw.length > 1024) rules.push('max');
  if (NOT_XML_CHAR.test(raw)) rules.push('xml-character');
  if (rules.length > 0) refusals.push({ field: 'password', rules });
  return raw;
}

/** Strict ports: a JSON integer or a string of digits, 1 to 65535. */
function port(raw: unknown, field: string, refusals: Refusal[]): number | undefined {
  if (blank(raw)) return undefined;
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^[0-9]+$/.test(raw)) value = Number(raw);
  else {
    refusals.push({ field, rules: ['port-format', 'type'] });
    return undefined;
  }
  if (!Number.isInteger(value)) refusals.push({ field, rules: ['port-format'] });
  else if (value < 1) refusals.push({ field, rules: ['min'] });
  else if (value > 65535) refusals.push({ field, rules: ['max'] });
  return value;
}

function host(raw: unknown, field: string, refusals: Refusal[]): string | undefined {
  if (typeof raw !== 'string') {
    refusals.push({ field, rules: ['type', 'required'] });
    return undefined;
  }
  const ascii = asciiHost(raw);
  // An empty host is a missing field (the form names it as one); anything else that is no host name breaks the hostname rule.
  if (!ascii) refusals.push({ field, rules: raw.trim() === '' ? ['required', 'hostname'] : ['hostname'] });
  return ascii;
}

/** Placeholders are replaced in the template only, in one pass: values are never read again. */
export function expandLogin(template: string, parts: Email): string {
  const values: Record<string, string> = { '%EMAILADDRESS%': parts.ascii, '%EMAILLOCALPART%': parts.local, '%EMAILDOMAIN%': parts.asciiDomain };
  return template.replace(TOKEN, (token) => values[token] ?? token);
}

export function expectationOf(fuzzCase: FuzzCase): Expectation {
  const body = fuzzCase.body;
  const refusals: Refusal[] = [];
  const parts = email(body.email, refusals);
  const displayName = name(body.name, refusals);
  const template = loginTemplate(body.login, refusals);
  const secret = password(body.password, refusals);
  const manual = body.manual as { incoming: Record<string, unknown>; outgoing: Record<string, unknown> } | undefined;
  const servers = manual
    ? (['incoming', 'outgoing'] as const).map((role) => ({
        host: host(manual[role].host, `manual.${role}.host`, refusals),
        port: port(manual[role].port, `manual.${role}.port`, refusals),
        socket: (manual[role].socket as 'SSL' | 'STARTTLS' | 'plain' | undefined) ?? 'SSL',
      }))
    : undefined;
  // The API takes bodies up to 16 KB; only a body with a field far over its limit is bigger.
  if (Buffer.byteLength(JSON.stringify(body)) > 16 * 1024) refusals.push({ field: 'body', rules: ['body-size'] });
  if (refusals.length > 0 || !parts) return { refusals };

  const providerId = typeof body.provider === 'string' ? body.provider : manual ? undefined : DOMAIN_PROVIDER[parts.asciiDomain];
  if (!manual && !providerId) return { refusals: [{ field: 'email', rules: ['known-domain'] }] };
  const kind = ((body.type as string | undefined) ?? 'imap') as ExpectedValues['kind'];
  const providerTemplate = providerId ? PROVIDER_LOGIN[providerId]! : '%EMAILADDRESS%';
  const login = expandLogin(template ?? providerTemplate, parts);
  const providerLogin = expandLogin(providerTemplate, parts);
  // A login built from the address names the address when nobody typed a login.
  const loginFields = template === undefined ? ['email'] : ['login', 'email'];
  const refuseLogin = (rules: string[]) => loginFields.map((field) => ({ field, rules }));

  if (login.length > 256) return { refusals: refuseLogin(['max-length']) };
  const outlook = (body.outlook as string | undefined) ?? '2016';
  const withPrf = kind !== 'exchange' || outlook !== '2016';
  const format = fuzzCase.format;
  if (format === 'prf' && !withPrf) return { refusals: [{ field: 'outlook', rules: ['prf-exchange'] }] };
  const prfWritten = format === 'prf' || (format === 'outlook-pack' && withPrf);
  if (prfWritten) {
    const found: Refusal[] = [];
    if (kind !== 'exchange' && displayName !== undefined && displayName.length >= 2 && QUOTED.test(displayName))
      found.push({ field: 'name', rules: ['prf-quoted'] });
    if (kind !== 'exchange' && login.length >= 2 && QUOTED.test(login)) found.push(...refuseLogin(['prf-quoted']));
    if (kind === 'exchange' && /[^\x20-\x7e]/.test(parts.ascii)) found.push({ field: 'email', rules: ['prf-ascii'] });
    if (found.length > 0) return { refusals: found };
  }
  if (format === 'autoconfig') {
    const found: Refusal[] = [];
    if (CLIENT_PLACEHOLDERS.test(login)) found.push(...refuseLogin(['autoconfig-placeholder']));
    // A login the person gave goes on every server, so the provider's own login then appears nowhere.
    if (providerId && template === undefined && CLIENT_PLACEHOLDERS.test(providerLogin)) found.push({ field: 'email', rules: ['autoconfig-placeholder'] });
    if (found.length > 0) return { refusals: found };
  }

  const values: ExpectedValues = {
    kind,
    address: parts.address,
    ascii: parts.ascii,
    asciiDomain: parts.asciiDomain,
    name: displayName,
    password: secret,
    providerLogin,
    withPrf,
  };
  if (kind === 'exchange') values.exchangeLogin = login;
  else if (servers) {
    const [incoming, outgoing] = servers;
    const protocol = kind === 'pop' ? 'pop' : 'imap';
    values.incoming = { host: incoming!.host!, port: incoming!.port ?? DEFAULT_PORT[protocol][incoming!.socket], login };
    values.outgoing = { host: outgoing!.host!, port: outgoing!.port ?? DEFAULT_PORT.smtp[outgoing!.socket], login };
  } else {
    values.incoming = { login };
    values.outgoing = { login };
  }
  return { refusals: [], values };
}
