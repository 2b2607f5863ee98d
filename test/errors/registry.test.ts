import { readFileSync } from 'node:fs';
import { ERROR_CODES, MailsetupError } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the error registry', () => {
  it.each(Object.entries(ERROR_CODES))('%s is documented in the README with its HTTP status and exit code', (code, spec) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row).toBeDefined();
    const [, , status, exit] = row!.split('|').map((cell) => cell.trim());
    expect(Number(status)).toBe(spec.status);
    expect(Number(exit)).toBe(spec.exitCode);
  });

  it('documents no code the registry lacks', () => {
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('gives every error message its field, once', () => {
    expect(new MailsetupError('INVALID_INPUT', 'is required', { field: 'email' }).message).toBe('email: is required');
    expect(new MailsetupError('INVALID_INPUT', 'email: is required', { field: 'email' }).message).toBe('email: is required');
  });
});
