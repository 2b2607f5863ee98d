// Value rules shared by the account model and the provider catalog: email addresses (with
// internationalised domains), host names, ports, names and login templates.
import { domainToASCII, domainToUnicode } from 'node:url';
import { isIP } from 'node:net';
import { z } from 'zod';

/** Adds a custom issue carrying a stable rule name, which error mapping turns into `rule`. */
function fail(ctx: z.RefinementCtx, rule: string, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { rule } });
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators: they break every format.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const LDH_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const LOCAL_PART_FORBIDDEN = /[\s"(),:;<>@[\\\]]/u;

export const PLACEHOLDERS = ['%EMAILADDRESS%', '%EMAILLOCALPART%', '%EMAILDOMAIN%'] as const;

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** The ASCII (punycode) form of a host or domain name, or undefined when it is not one. */
export function toAsciiHost(value: string): string | undefined {
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
export function parseEmail(value: string): EmailParts | { error: string; rule: string } {
  const trimmed = value.trim().normalize('NFC');
  if (trimmed === '') return { error: 'an email address is required', rule: 'required' };
  if (hasControlCharacters(value)) return { error: 'an email address must not contain line breaks or control characters', rule: 'no-control-characters' };
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

/** Fills a login template (`%EMAILLOCALPART%@corp.example.org`) for one address. */
export function expandLogin(template: string, email: EmailParts): string {
  return template.replaceAll('%EMAILADDRESS%', email.ascii).replaceAll('%EMAILLOCALPART%', email.local).replaceAll('%EMAILDOMAIN%', email.asciiDomain);
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

export const port = z.coerce
  .number({ error: 'a port must be a whole number' })
  .int({ error: 'a port must be a whole number' })
  .min(1, { error: 'a port must be between 1 and 65535' })
  .max(65535, { error: 'a port must be between 1 and 65535' });

/** Text people read (names, descriptions): no control characters or line breaks. */
export function visibleText(what: string, max = 256) {
  return z.string().transform((value, ctx) => {
    const text = value.normalize('NFC').trim();
    if (hasControlCharacters(text)) {
      fail(ctx, 'no-control-characters', `${what} must not contain line breaks or control characters`);
      return z.NEVER;
    }
    if (text.length > max) {
      fail(ctx, 'max-length', `${what} has at most ${max} characters`);
      return z.NEVER;
    }
    return text;
  });
}

export const loginTemplate = z.string().transform((value, ctx) => {
  const text = value.trim();
  if (text === '') {
    fail(ctx, 'required', 'a login must not be empty');
    return z.NEVER;
  }
  if (hasControlCharacters(text) || /\s/u.test(text)) {
    fail(ctx, 'login-format', 'a login must not contain spaces, line breaks or control characters');
    return z.NEVER;
  }
  if (text.length > 256) {
    fail(ctx, 'max-length', 'a login has at most 256 characters');
    return z.NEVER;
  }
  const unknown = (text.match(/%[A-Z]+%/g) ?? []).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    fail(ctx, 'login-placeholder', `unknown placeholder ${unknown[0]} (known: ${PLACEHOLDERS.join(', ')})`);
    return z.NEVER;
  }
  return text;
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
