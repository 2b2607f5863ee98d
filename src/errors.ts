// The one error registry: every error mailsetup reports has a code here, with its HTTP status and
// CLI exit code. Transports map these; anything else becomes a generic internal error.
import type { Rule } from './error-rules.js';

export type { Rule } from './error-rules.js';

export interface ErrorSpec {
  readonly status: number;
  readonly exitCode: number;
  readonly summary: string;
}

export const ERROR_CODES = {
  INVALID_INPUT: { status: 400, exitCode: 2, summary: 'A value given does not follow its rule.' },
  USAGE: { status: 400, exitCode: 64, summary: 'The command line is not understood.' },
  UNKNOWN_PROVIDER: { status: 404, exitCode: 3, summary: 'No provider with that id is in the catalog.' },
  UNKNOWN_DOMAIN: { status: 404, exitCode: 3, summary: 'The email domain is not in the catalog and no default provider is set.' },
  UNKNOWN_VARIANT: { status: 400, exitCode: 3, summary: 'The provider has no variant with that id.' },
  UNSUPPORTED: { status: 422, exitCode: 4, summary: 'The provider or format does not offer what was asked for.' },
  CATALOG_INVALID: { status: 500, exitCode: 5, summary: 'A provider file is not valid.' },
  CONFIG_INVALID: { status: 500, exitCode: 5, summary: 'The configuration is not valid.' },
  SIGNING_FAILED: { status: 500, exitCode: 6, summary: 'The signing identity cannot sign.' },
  IO: { status: 500, exitCode: 7, summary: 'A file could not be read or written.' },
  PAYLOAD_TOO_LARGE: { status: 413, exitCode: 2, summary: 'The request body is larger than allowed.' },
  RATE_LIMITED: { status: 429, exitCode: 8, summary: 'Too many requests; try again shortly.' },
  NOT_FOUND: { status: 404, exitCode: 3, summary: 'Nothing is at that address.' },
  FORBIDDEN: { status: 403, exitCode: 9, summary: 'The operator does not allow this.' },
  ACME_FAILED: { status: 502, exitCode: 13, summary: 'The ACME certificate authority could not be reached or did not issue a certificate.' },
  SMTP_FAILED: { status: 502, exitCode: 11, summary: 'The SMTP server cannot be reached or refused the login; nothing more was sent.' },
  PARTIAL_FAILURE: { status: 422, exitCode: 10, summary: 'Some rows or messages failed; the others were done. The report names each failure.' },
  UNAVAILABLE: { status: 503, exitCode: 12, summary: 'mailsetup cannot do this right now (its workers cannot start); try again shortly.' },
  NO_MAIL_SERVERS: { status: 404, exitCode: 14, summary: 'No mail servers were found for the domain; the answer lists what was tried.' },
  DISCOVERY_REFUSED: { status: 403, exitCode: 15, summary: "The domain's servers are on networks or ports this service does not connect to." },
  DISCOVERY_TIMEOUT: { status: 504, exitCode: 16, summary: 'Finding or checking the servers took longer than allowed.' },
  CHECK_FAILED: { status: 502, exitCode: 17, summary: 'A server check failed; the report names each failure.' },
  INTERNAL: { status: 500, exitCode: 1, summary: 'Something went wrong inside mailsetup.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface MailsetupErrorOptions {
  /** The input field the error is about, in the names the user sees (`email`, `incoming.port`). */
  field?: string;
  /** The rule the value broke, from the table in error-rules.ts (`required`, `port-range`). */
  rule?: Rule | undefined;
  cause?: unknown;
  /** Further errors, when several fields failed at once. */
  details?: readonly FieldIssue[];
}

export interface FieldIssue {
  field: string;
  rule: Rule;
  message: string;
}

export class MailsetupError extends Error {
  override readonly name = 'MailsetupError';
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly rule: Rule | undefined;
  readonly details: readonly FieldIssue[];

  constructor(code: ErrorCode, message: string, options: MailsetupErrorOptions = {}) {
    // Every message names its field: "email: ... is not an email address".
    const named = options.field && !message.startsWith(`${options.field}:`) ? `${options.field}: ${message}` : message;
    super(named, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.rule = options.rule;
    this.details = options.details ?? (options.field ? [{ field: options.field, rule: options.rule ?? 'invalid', message }] : []);
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  toJSON(): { code: ErrorCode; message: string; field?: string; rule?: Rule; details?: readonly FieldIssue[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...(this.rule ? { rule: this.rule } : {}),
      ...(this.details.length > 1 ? { details: this.details } : {}),
    };
  }
}

export function invalid(field: string, rule: Rule, message: string): MailsetupError {
  return new MailsetupError('INVALID_INPUT', message, { field, rule });
}

/** Any thrown value as a MailsetupError; unknown errors keep their cause but show no internals. */
export function asMailsetupError(error: unknown): MailsetupError {
  if (error instanceof MailsetupError) return error;
  return new MailsetupError('INTERNAL', ERROR_CODES.INTERNAL.summary, { cause: error });
}

/** A MailsetupError as plain data, for crossing a thread boundary (classes do not survive cloning). */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  field?: string | undefined;
  rule?: Rule | undefined;
  details?: readonly FieldIssue[];
}

export function serializeError(thrown: unknown): SerializedError {
  const error = asMailsetupError(thrown);
  return { code: error.code, message: error.message, field: error.field, rule: error.rule, details: error.details };
}

export function reviveError(error: SerializedError): MailsetupError {
  return new MailsetupError(error.code, error.message, { field: error.field, rule: error.rule, ...(error.details ? { details: error.details } : {}) });
}
