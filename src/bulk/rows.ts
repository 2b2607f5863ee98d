// A staff row becomes a validated GenerateRequest through the same parser the web form and the
// CLI use, so a bad row names its field and rule exactly as a bad form would.
import { asMailsetupError, type Rule } from '../errors.js';
import type { GenerateRequest } from '../model/request.js';
import { parseGenerateRequest } from '../service/generate.js';
import type { RawRow } from './input.js';

export interface RowError {
  field: string;
  rule: Rule;
  message: string;
}

export interface RowDefaults {
  device?: string | undefined;
  language?: string | undefined;
  type?: string | undefined;
  provider?: string | undefined;
  variant?: string | undefined;
}

export type CheckedRow = { line: number; ok: true; request: GenerateRequest; key: string } | { line: number; ok: false; email: string; error: RowError };

/** A `calendars` cell as mail-only: "no" means mail only. */
const YES_NO: Readonly<Record<string, boolean>> = { yes: false, y: false, true: false, '1': false, no: true, n: true, false: true, '0': true };

export function errorOf(thrown: unknown): RowError {
  const error = asMailsetupError(thrown);
  if (error.code === 'INTERNAL') return { field: 'row', rule: 'internal', message: 'could not be processed (internal error)' };
  const detail = error.details[0];
  return { field: error.field ?? detail?.field ?? 'row', rule: error.rule ?? detail?.rule ?? 'invalid', message: error.message };
}

/** One line of text for a row error: `email: "x" is not an email address [email-format]`. */
export function describeRowError(error: RowError): string {
  const message = error.message.startsWith(`${error.field}:`) ? error.message : `${error.field}: ${error.message}`;
  return `${message} [${error.rule}]`;
}

/**
 * Validates one row. `seen` remembers addresses already in the list (lower case, with their line):
 * a second row for the same person would overwrite the first file and mail them twice.
 */
export function checkRow(row: RawRow, defaults: RowDefaults, seen: Map<string, number>): CheckedRow {
  const email = row.values.email ?? '';
  if (row.error) return { line: row.line, ok: false, email, error: row.error };
  let request: GenerateRequest;
  // `calendars`: yes (the default where the provider has them) or no (mail only).
  const calendars = row.values.calendars?.trim().toLowerCase();
  const mailOnly = calendars === undefined || calendars === '' ? undefined : YES_NO[calendars];
  if (calendars && mailOnly === undefined) {
    return {
      line: row.line,
      ok: false,
      email,
      error: { field: 'calendars', rule: 'allowed-values', message: `calendars: "${row.values.calendars}" is not yes or no` },
    };
  }
  try {
    request = parseGenerateRequest({
      email,
      name: row.values.name,
      login: row.values.login,
      type: row.values.type?.toLowerCase() ?? defaults.type,
      device: row.values.device?.toLowerCase() ?? defaults.device,
      provider: row.values.provider?.toLowerCase() ?? defaults.provider,
      variant: row.values.variant?.toLowerCase() ?? defaults.variant,
      security: row.values.security ?? undefined,
      language: row.values.language?.toLowerCase() ?? defaults.language,
      mailOnly,
    });
  } catch (thrown) {
    return { line: row.line, ok: false, email, error: errorOf(thrown) };
  }
  const { address } = request.email;
  const key = address.toLowerCase();
  const earlier = seen.get(key);
  if (earlier !== undefined) {
    return { line: row.line, ok: false, email, error: { field: 'email', rule: 'duplicate', message: `${address} is already on line ${earlier}` } };
  }
  seen.set(key, row.line);
  return { line: row.line, ok: true, request, key };
}
