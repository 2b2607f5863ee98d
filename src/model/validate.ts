// Turns schema failures into one MailsetupError that names each field and the rule it broke.
import type { z } from 'zod';
import { MailsetupError, type ErrorCode, type FieldIssue } from '../errors.js';
import { ruleOf, type Rule } from '../error-rules.js';

// Every zod issue code as a rule; a custom issue names its own rule (`params: ruleParams(…)`).
const RULE_BY_CODE: Record<z.ZodError['issues'][number]['code'], Rule> = {
  invalid_type: 'type',
  too_small: 'min',
  too_big: 'max',
  invalid_value: 'allowed-values',
  invalid_format: 'format',
  unrecognized_keys: 'unknown-field',
  not_multiple_of: 'multiple',
  invalid_union: 'type',
  invalid_key: 'invalid',
  invalid_element: 'invalid',
  custom: 'invalid',
};

export function issuesOf(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.') || prefix || 'input';
    const params = (issue as { params?: { rule?: unknown } }).params;
    const rule = ruleOf(params?.rule, RULE_BY_CODE[issue.code]);
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
    if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${(issue as { keys: string[] }).keys.join(', ')}`;
    return { field, rule: rule === 'type' && message === 'is required' ? 'required' : rule, message };
  });
}

export function errorFromIssues(issues: FieldIssue[], code: ErrorCode = 'INVALID_INPUT'): MailsetupError {
  const first = issues[0] ?? { field: 'input', rule: 'invalid', message: 'is not valid' };
  const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new MailsetupError(code, message, { field: first.field, rule: first.rule, details: issues });
}

/** Parses input with a schema or throws a MailsetupError naming every failed field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, options: { prefix?: string; code?: ErrorCode } = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw errorFromIssues(issuesOf(result.error, options.prefix), options.code);
}

// Account fields (what builders and the account schema name) as the request names what the
// person filled in; the web form and the CLI map these request paths to their own field names.
const REQUEST_FIELD: Readonly<Record<string, string>> = {
  email: 'email',
  displayName: 'name',
  password: 'password',
  kind: 'type',
  'incoming.host': 'manual.incoming.host',
  'incoming.port': 'manual.incoming.port',
  'incoming.socket': 'manual.incoming.socket',
  'outgoing.host': 'manual.outgoing.host',
  'outgoing.port': 'manual.outgoing.port',
  'outgoing.socket': 'manual.outgoing.socket',
};

/**
 * The request field an account field came from. A login is the `login` the person typed, or,
 * when they typed none, a value made from their `email`.
 */
export function requestFieldOf(accountField: string, loginTyped = true): string {
  // `servers.N.username` is how autoconfig numbers the servers it lists.
  if (/^(incoming|outgoing|exchange|servers\.\d+)\.username$/.test(accountField)) return loginTyped ? 'login' : 'email';
  return REQUEST_FIELD[accountField] ?? accountField;
}

const withoutPrefix = (message: string, field: string | undefined) => (field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message);

/** The same refusal naming other fields (message, field and every detail); other errors pass unchanged. */
export function renameFields(thrown: unknown, rename: (field: string) => string): unknown {
  if (!(thrown instanceof MailsetupError) || thrown.code === 'INTERNAL') return thrown;
  const renamed = thrown.details.map((d) => ({ field: rename(d.field), rule: d.rule, message: withoutPrefix(d.message, d.field) }));
  // Two account fields can come from one request field (the incoming and outgoing login): say it once.
  const details = renamed.filter((d, i) => renamed.findIndex((o) => o.field === d.field && o.rule === d.rule) === i);
  const field = thrown.field === undefined ? undefined : rename(thrown.field);
  if (field === thrown.field && details.length === thrown.details.length && details.every((d, i) => d.field === thrown.details[i]!.field)) return thrown;
  const message = details.length > 0 ? details.map((d) => `${d.field}: ${d.message}`).join('; ') : thrown.message;
  return new MailsetupError(thrown.code, message, { ...(field ? { field } : {}), ...(thrown.rule ? { rule: thrown.rule } : {}), details });
}
