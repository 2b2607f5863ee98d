// Checks shared by the Windows and XML formats: values that a format cannot carry are refused
// with a clear error instead of being silently altered (xmlbuilder2 drops control characters,
// INI and .reg lines end at a line break).
import { MailsetupError } from '../errors.js';
import { hasControlCharacters } from '../model/rules.js';

// Unpaired UTF-16 surrogates cannot be written as UTF-8 or read back from UTF-16 unchanged.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/**
 * Returns the value when every format can carry it on one line; otherwise throws INVALID_INPUT
 * naming the field and the rule, e.g. `displayName: a PRF value must not contain line breaks…`.
 */
export function oneLineValue(value: string, field: string, format: string): string {
  if (hasControlCharacters(value)) {
    throw new MailsetupError('INVALID_INPUT', `${field}: a ${format} value must not contain line breaks or control characters`, {
      field,
      rule: 'no-control-characters',
    });
  }
  if (LONE_SURROGATE.test(value)) {
    throw new MailsetupError('INVALID_INPUT', `${field}: a ${format} value must be valid Unicode text`, { field, rule: 'unicode' });
  }
  return value;
}
