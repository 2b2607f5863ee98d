// Turns schema failures into one MailsetupError that names each field and the rule it broke.
import type { z } from 'zod';
import { MailsetupError, type ErrorCode, type FieldIssue } from '../errors.js';

const RULE_BY_CODE: Record<string, string> = {
  invalid_type: 'type',
  too_small: 'min',
  too_big: 'max',
  invalid_value: 'allowed-values',
  invalid_format: 'format',
  unrecognized_keys: 'unknown-field',
  not_multiple_of: 'multiple',
  invalid_union: 'type',
};

export function issuesOf(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.') || prefix || 'input';
    const params = (issue as { params?: { rule?: string } }).params;
    const rule = params?.rule ?? RULE_BY_CODE[issue.code] ?? issue.code;
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
