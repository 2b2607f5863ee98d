// Reading a query string's values (express's `simple` parser and node:querystring give the same
// object): one value per name, refused when repeated, and the email address parsed once.
import { MailsetupError } from '../errors.js';
import { isEmailParts, parseEmail, type EmailParts } from '../model/rules.js';

export type Query = Readonly<Record<string, unknown>>;

/** A query value as one string; repeated or nested values are refused rather than guessed at. */
export function queryValue(query: Query, name: string, { caseInsensitive = false } = {}): string | undefined {
  const key = caseInsensitive ? Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase()) : name;
  const value = key === undefined ? undefined : query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new MailsetupError('INVALID_INPUT', 'give it once, as text', { field: name, rule: 'single-value' });
  }
  return value.trim() === '' ? undefined : value;
}

/** The address a query gives, in parts; refused naming `field`. */
export function emailFrom(value: string | undefined, field: string): EmailParts {
  if (value === undefined) throw new MailsetupError('INVALID_INPUT', 'an email address is required', { field, rule: 'required' });
  const parts = parseEmail(value);
  if (!isEmailParts(parts)) throw new MailsetupError('INVALID_INPUT', parts.error, { field, rule: parts.rule });
  return parts;
}
