// The text rule as the Windows and XML writers apply it: a value a format cannot carry is refused
// with a clear error instead of being silently altered (xmlbuilder2 drops control characters,
// INI and .reg lines end at a line break, U+FFFF makes XML not well-formed). The same rule
// (`textProblem`) refuses such input where requests are read, so the person's field is named there.
import { MailsetupError } from '../errors.js';
import { textProblem } from '../model/rules.js';

/**
 * Returns the value when every format can carry it on one line; otherwise throws INVALID_INPUT
 * naming the field and the rule, e.g. `displayName: a PRF value must not contain line breaks…`.
 */
export function oneLineValue(value: string, field: string, format: string): string {
  const problem = textProblem(value);
  if (problem) throw new MailsetupError('INVALID_INPUT', `a ${format} value ${problem.message}`, { field, rule: problem.rule });
  return value;
}
