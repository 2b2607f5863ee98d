// Value rules shared by the account model and the provider catalog: email addresses (with
// internationalised domains), host names, ports, names and login templates.
import { domainToASCII, domainToUnicode } from 'node:url';
import { isIP } from 'node:net';
import { z } from 'zod';
import { MailsetupError } from '../errors.js';
import { ruleParams, type Rule } from '../error-rules.js';

/** Adds a custom issue carrying a stable rule name, which error mapping turns into `rule`. */
function fail(ctx: z.RefinementCtx, rule: Rule, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: ruleParams(rule) });
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators: they break every format.
// eslint-disable-next-line no-control-regex -- the controls are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
// What XML 1.0 cannot carry besides controls: U+FFFE, U+FFFF and unpaired surrogates (which
// UTF-8 cannot encode either). Refused in every format, so all of them carry the same text.
const NOT_XML_TEXT = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// XML 1.0 `Char`, for secrets: tab and line breaks are allowed there, nothing else below U+0020.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const LDH_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const LOCAL_PART_FORBIDDEN = /[\s"(),:;<>@[\\\]]/u;

export const PLACEHOLDERS = ['%EMAILADDRESS%', '%EMAILLOCALPART%', '%EMAILDOMAIN%'] as const;

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** Whether XML 1.0 can carry every character of the text (multi-line text included). */
export function isXmlText(value: string): boolean {
  return !NOT_XML_CHAR.test(value);
}

/** Whether the text holds U+FFFE, U+FFFF or an unpaired surrogate, which no output format carries. */
export function hasNonXmlCharacters(value: string): boolean {
  return NOT_XML_TEXT.test(value);
}

export interface TextProblem {
  rule: 'no-control-characters' | 'xml-character';
  /** Completes "<what> must…". */
  message: string;
}

/**
 * The one text rule every output format applies: what breaks it is refused, everything else is
 * written so that the format's reader gives it back exactly.
 */
export function textProblem(value: string): TextProblem | undefined {
  if (CONTROL.test(value)) return { rule: 'no-control-characters', message: 'must not contain line breaks or control characters' };
  if (NOT_XML_TEXT.test(value))
    return { rule: 'xml-character', message: 'must not contain U+FFFE, U+FFFF or unpaired surrogates (no setup file can carry them)' };
  return undefined;
}

// Every account's servers are checked again as they are built, and most are the catalog's few
// names: the answers (the function is pure) are kept for names seen before, up to a bound.
const asciiHosts = new Map<string, string | undefined>();
const ASCII_HOST_LIMIT = 2048;

/** The ASCII (punycode) form of a host or domain name, or undefined when it is not one. */
export function toAsciiHost(value: string): string | undefined {
  const known = asciiHosts.get(value);
  if (known !== undefined || asciiHosts.has(value)) return known;
  const ascii = asciiHostOf(value);
  if (asciiHosts.size >= ASCII_HOST_LIMIT) asciiHosts.clear();
  asciiHosts.set(value, ascii);
  return ascii;
}

function asciiHostOf(value: string): string | undefined {
  if (hasControlCharacters(value)) return undefined;
  const trimmed = value.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 253) return undefined;
  if (isIP(trimmed)) return trimmed;
  const ascii = domainToASCII(trimmed.normalize('NFC'));
  if (ascii === '' || ascii.length > 253) return undefined;
  return ascii.split('.').every((label) => LDH_LABEL.test(label)) ? ascii : undefined;
}

export function toUnicodeDomain(asciiDomain: string): string {
  return domainToUnicode(asciiDomain) || asciiDomain;
}

export interface EmailParts {
  /** The address as people read it: local part as given, domain in Unicode, lower case. */
  address: string;
  /** The address devices and servers need: domain in punycode. */
  ascii: string;
  local: string;
  domain: string;
  asciiDomain: string;
}

/** Splits and checks an address; returns a reason when it is not one. */
export function parseEmail(value: string): EmailParts | { error: string; rule: Rule } {
  const trimmed = value.trim().normalize('NFC');
  if (trimmed === '') return { error: 'an email address is required', rule: 'required' };
  const problem = textProblem(value);
  if (problem) return { error: `an email address ${problem.message}`, rule: problem.rule };
  if (trimmed.length > 254) return { error: 'an email address has at most 254 characters', rule: 'max-length' };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) {
    return { error: `"${trimmed}" is not an email address (name@domain)`, rule: 'email-format' };
  }
  const local = trimmed.slice(0, at);
  const domainInput = trimmed.slice(at + 1);
  if (local.length > 64) return { error: 'the part before @ has at most 64 characters', rule: 'email-local-part' };
  if (hasControlCharacters(local) || LOCAL_PART_FORBIDDEN.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return { error: `"${local}" is not a valid name before @ (no spaces, quotes, brackets or doubled dots)`, rule: 'email-local-part' };
  }
  const asciiDomain = toAsciiHost(domainInput);
  if (!asciiDomain || isIP(asciiDomain) || !asciiDomain.includes('.')) {
    return { error: `"${domainInput}" is not a valid mail domain`, rule: 'email-domain' };
  }
  const domain = toUnicodeDomain(asciiDomain);
  return { address: `${local}@${domain}`, ascii: `${local}@${asciiDomain}`, local, domain, asciiDomain };
}

export function isEmailParts(value: EmailParts | { error: string }): value is EmailParts {
  return !('error' in value);
}

/** The parts of an address given as text, or INVALID_INPUT naming `field` and the rule it broke. */
export function emailPartsOf(value: string, field = 'email'): EmailParts {
  const parts = parseEmail(value);
  if (!isEmailParts(parts)) throw new MailsetupError('INVALID_INPUT', parts.error, { field, rule: parts.rule });
  return parts;
}

const PLACEHOLDER = /%[A-Z]+%/g;

/**
 * Fills a login template (`%EMAILLOCALPART%@corp.example.org`) for one address, in one pass over
 * the template: what is filled in is never read again, so an address such as
 * `%EMAILDOMAIN%@mail.ru` logs in as itself, and `$&` in it is just text. Placeholders the
 * template rules do not know are left as they are (`realName` fills `%REALNAME%`, for autoconfig).
 */
export function expandLogin(template: string, email: EmailParts, realName?: string): string {
  const values: Record<string, string | undefined> = {
    '%EMAILADDRESS%': email.ascii,
    '%EMAILLOCALPART%': email.local,
    '%EMAILDOMAIN%': email.asciiDomain,
    '%REALNAME%': realName,
  };
  return template.replace(PLACEHOLDER, (placeholder) => values[placeholder] ?? placeholder);
}

/** An address as typed, checked and split into its parts: the one place a request's address is parsed. */
export const emailAddress = z.string({ error: 'an email address is required' }).transform((value, ctx) => {
  const parts = parseEmail(value);
  if (!isEmailParts(parts)) {
    fail(ctx, parts.rule, parts.error);
    return z.NEVER;
  }
  return parts;
});

/** An address `emailAddress` already split: an account carries these parts instead of parsing the address again. */
export const emailParts = z.object({
  address: z.string(),
  ascii: z.string(),
  local: z.string(),
  domain: z.string(),
  asciiDomain: z.string(),
}) satisfies z.ZodType<EmailParts>;

export const hostName = z.string({ error: 'a host name is required' }).transform((value, ctx) => {
  const ascii = toAsciiHost(value);
  if (!ascii) {
    fail(ctx, 'hostname', `"${value}" is not a valid host name (letters, digits, hyphens and dots, or an IP address)`);
    return z.NEVER;
  }
  return ascii;
});

/**
 * A port: a JSON integer, or a string of decimal digits (forms and command lines send text), from
 * 1 to 65535. Nothing is coerced: `true`, `[993]`, `"0x3e1"`, `"1e3"` or `" 993"` are refused.
 */
export const port = z.unknown().transform((value, ctx): number => {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : undefined;
  if (number === undefined || !Number.isInteger(number)) {
    fail(ctx, 'port-format', 'a port is a whole number written with the digits 0-9, from 1 to 65535');
    return z.NEVER;
  }
  if (number < 1) {
    fail(ctx, 'min', 'a port must be between 1 and 65535');
    return z.NEVER;
  }
  if (number > 65535) {
    fail(ctx, 'max', 'a port must be between 1 and 65535');
    return z.NEVER;
  }
  return number;
});

/** Text people read (names, descriptions): no control characters or line breaks. */
export function visibleText(what: string, max = 256) {
  return z.string().transform((value, ctx) => {
    const text = value.normalize('NFC').trim();
    const problem = textProblem(text);
    if (problem) {
      fail(ctx, problem.rule, `${what} ${problem.message}`);
      return z.NEVER;
    }
    if (text.length > max) {
      fail(ctx, 'max-length', `${what} has at most ${max} characters`);
      return z.NEVER;
    }
    return text;
  });
}

/** Why a login (a template, or one already filled in) breaks the login rules; undefined when it does not. */
function loginProblem(text: string): { rule: Rule; message: string } | undefined {
  if (text === '') return { rule: 'required', message: 'a login must not be empty' };
  if (hasControlCharacters(text) || /\s/u.test(text))
    return { rule: 'login-format', message: 'a login must not contain spaces, line breaks or control characters' };
  if (hasNonXmlCharacters(text)) return { rule: 'xml-character', message: `a login ${textProblem(text)!.message}` };
  if (text.length > 256) return { rule: 'max-length', message: 'a login has at most 256 characters' };
  return undefined;
}

/** A login as typed or listed in the catalog: `%EMAILLOCALPART%@corp.example.org`, or a plain name. */
export const loginTemplate = z.string().transform((value, ctx) => {
  const text = value.trim();
  const problem = loginProblem(text);
  if (problem) {
    fail(ctx, problem.rule, problem.message);
    return z.NEVER;
  }
  const unknown = (text.match(PLACEHOLDER) ?? []).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    fail(ctx, 'login-placeholder', `unknown placeholder ${unknown[0]} (known: ${PLACEHOLDERS.join(', ')})`);
    return z.NEVER;
  }
  return text;
});

/**
 * A login already filled in for one person: a value, not a template, so whatever the address put
 * there (`%X%@example.tr`) is not read as a placeholder.
 */
export const loginValue = z.string().transform((value, ctx) => {
  const problem = loginProblem(value);
  if (problem) {
    fail(ctx, problem.rule, problem.message);
    return z.NEVER;
  }
  return value;
});

/** A secret (a password to embed): any text XML can carry, tabs and line breaks included, up to 1024 characters. */
export const secretText = z
  .string()
  .max(1024, { error: 'a password has at most 1024 characters' })
  .refine(isXmlText, {
    error: 'a password must not contain control characters other than tab and line breaks, U+FFFE, U+FFFF or unpaired surrogates',
    params: ruleParams('xml-character'),
  });

export const httpsUrl = z.string().transform((value, ctx) => {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    return url.toString();
  } catch {
    fail(ctx, 'url', `"${value}" is not an http(s) address`);
    return z.NEVER;
  }
});

/** A URL path with login placeholders (`/dav/%EMAILADDRESS%/`): starts with /, no spaces or controls. */
export const principalPath = z.string().transform((value, ctx) => {
  const text = value.trim();
  if (!/^\/[\x21-\x7e]*$/.test(text)) {
    fail(ctx, 'url-path', `"${value}" is not a URL path (it starts with / and has no spaces)`);
    return z.NEVER;
  }
  const unknown = (text.match(/%[A-Z]+%/g) ?? []).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    fail(ctx, 'login-placeholder', `unknown placeholder ${unknown[0]} (known: ${PLACEHOLDERS.join(', ')})`);
    return z.NEVER;
  }
  return text;
});

export const identifier = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { error: 'an id is 1-64 lower-case letters, digits, dots, hyphens or underscores' });

/** An https base address (Apple's declarative asset DataURL "must start with https://"), no query or fragment. */
export const credentialBaseUrl = z.string().transform((value, ctx) => {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || hasControlCharacters(value)) throw new Error('https');
    return url.toString().replace(/\/+$/, '');
  } catch {
    fail(ctx, 'https-url', `"${value}" is not an https address without ? or #`);
    return z.NEVER;
  }
});
