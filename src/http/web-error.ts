// Errors the web layer raises itself. Their messages come from templates/locales (key
// web.error.<rule>), in English for the JSON API; pages show them in the reader's language.
import { MailsetupError, type ErrorCode, type Rule } from '../errors.js';
import { translator } from '../i18n.js';

const english = translator('en');

export function webError(code: ErrorCode, field: string, rule: Rule): MailsetupError {
  return new MailsetupError(code, english(`web.error.${rule}`), { field, rule });
}
